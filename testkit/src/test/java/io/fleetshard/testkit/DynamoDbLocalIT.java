package io.fleetshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

class DynamoDbLocalIT {

    @Test
    void conditionalPutRefusesToOverwriteAnExistingItem() {
        Set<Thread> threadsBefore = ThreadLeaks.liveNonDaemonThreads();
        try (DynamoDbLocal dynamo = DynamoDbLocal.start(); DynamoDbClient client = dynamo.newClient()) {
            assertThat(dynamo.endpoint().getHost()).isEqualTo("127.0.0.1");
            createLeaseTable(client);

            client.putItem(p -> p.tableName("leases").item(lease("shard-1", "owner-a"))
                    .conditionExpression("attribute_not_exists(shard_id)"));
            assertThatThrownBy(() -> client.putItem(p -> p.tableName("leases").item(lease("shard-1", "owner-b"))
                    .conditionExpression("attribute_not_exists(shard_id)")))
                    .isInstanceOf(ConditionalCheckFailedException.class);

            assertThat(client.getItem(g -> g.tableName("leases").key(Map.of("shard_id", s("shard-1"))))
                    .item().get("owner").s()).isEqualTo("owner-a");
        }
        ThreadLeaks.assertNoneStartedSince(threadsBefore);
    }

    @Test
    void tablesInADirectorySurviveRestart(@TempDir Path dir) {
        try (DynamoDbLocal dynamo = DynamoDbLocal.start(dir); DynamoDbClient client = dynamo.newClient()) {
            createLeaseTable(client);
            client.putItem(p -> p.tableName("leases").item(lease("shard-7", "owner-a")));
        }
        try (DynamoDbLocal dynamo = DynamoDbLocal.start(dir); DynamoDbClient client = dynamo.newClient()) {
            assertThat(client.getItem(g -> g.tableName("leases").key(Map.of("shard_id", s("shard-7"))))
                    .item().get("owner").s()).isEqualTo("owner-a");
        }
    }

    private static void createLeaseTable(DynamoDbClient client) {
        client.createTable(t -> t.tableName("leases")
                .keySchema(k -> k.attributeName("shard_id").keyType(KeyType.HASH))
                .attributeDefinitions(a -> a.attributeName("shard_id").attributeType(ScalarAttributeType.S))
                .billingMode(BillingMode.PAY_PER_REQUEST));
    }

    private static Map<String, AttributeValue> lease(String shard, String owner) {
        return Map.of("shard_id", s(shard), "owner", s(owner));
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }
}
