package io.fleetshard.controlapi;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/** {@link ShardLogOffsets} from Kafka: the last stable offset of the shard log's one partition (read_committed). */
final class KafkaShardLogOffsets implements ShardLogOffsets {
    private final Admin admin;
    private final String topicPrefix;

    KafkaShardLogOffsets(String bootstrapServers, String topicPrefix) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "fleetshard-control-api-reshard");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        this.admin = Admin.create(p);
        this.topicPrefix = topicPrefix;
    }

    @Override
    public long endOffset(String shardId) {
        TopicPartition tp = new TopicPartition(topicPrefix + shardId, 0);
        try {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest()),
                            new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlApiException("interrupted while reading the end of " + tp.topic(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new ControlApiException("cannot read the end offset of shard log " + tp.topic() + ": "
                    + (e.getCause() == null ? e : e.getCause()).getMessage()
                    + " (is change capture running for shard " + shardId + "?)", e);
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
