package io.fleetshard.shardmap;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * The map mirrored to a DynamoDB table (replicated by Global Tables in production): item key {@code entityKey}, with
 * {@code version}, {@code deleted} and the entity's JSON in {@code body}. Each put is conditional on
 * {@code attribute_not_exists(entityKey) OR version < :v}; a deletion is a put of a tombstone item so that its version
 * still orders later writes. Item layout in {@code docs/spec/shard-map-records.md}.
 */
public final class DynamoDbMapMirror implements MapMirror {
    private static final Logger LOG = LoggerFactory.getLogger(DynamoDbMapMirror.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "entityKey";

    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoDbMapMirror(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    /** Creates the mirror table (on-demand billing) if it does not exist and waits until it is active. */
    public void ensureTable() {
        try {
            dynamo.createTable(b -> b.tableName(table)
                    .keySchema(KeySchemaElement.builder().attributeName(KEY).keyType(KeyType.HASH).build())
                    .attributeDefinitions(AttributeDefinition.builder().attributeName(KEY)
                            .attributeType(ScalarAttributeType.S).build())
                    .billingMode(BillingMode.PAY_PER_REQUEST));
        } catch (ResourceInUseException exists) {
            // already there
        }
        dynamo.waiter().waitUntilTableExists(b -> b.tableName(table));
    }

    @Override
    public void apply(List<MapRecord> records) {
        for (MapRecord r : records) {
            put(r);
        }
    }

    /** Writes one record; returns false when the mirror already holds the same or a newer version. */
    boolean put(MapRecord r) {
        Map<String, AttributeValue> item = new java.util.HashMap<>();
        item.put(KEY, AttributeValue.fromS(r.key()));
        item.put("version", AttributeValue.fromN(Long.toString(r.version())));
        item.put("deleted", AttributeValue.fromBool(r.isTombstone()));
        if (!r.isTombstone()) {
            item.put("body", AttributeValue.fromS(MapRecordCodec.toJson(r.version(), r.entity()).toString()));
        }
        try {
            dynamo.putItem(PutItemRequest.builder().tableName(table).item(item)
                    .conditionExpression("attribute_not_exists(#k) OR #v < :v")
                    .expressionAttributeNames(Map.of("#k", KEY, "#v", "version"))
                    .expressionAttributeValues(Map.of(":v", AttributeValue.fromN(Long.toString(r.version()))))
                    .build());
            return true;
        } catch (ConditionalCheckFailedException older) {
            LOG.debug("mirror keeps a newer version of {} than {}", r.key(), r.version());
            return false;
        }
    }

    @Override
    public List<MapRecord> readAll() {
        List<MapRecord> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            ScanRequest.Builder req = ScanRequest.builder().tableName(table).consistentRead(true);
            if (start != null) {
                req.exclusiveStartKey(start);
            }
            ScanResponse page = dynamo.scan(req.build());
            for (Map<String, AttributeValue> item : page.items()) {
                if (Boolean.TRUE.equals(item.get("deleted").bool())) {
                    continue;
                }
                String key = item.get(KEY).s();
                try {
                    out.add(MapRecordCodec.fromJson(key, JSON.readTree(item.get("body").s())));
                } catch (IOException e) {
                    throw new MapFormatException("mirror item " + key + " has an unreadable body", e);
                }
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }
}
