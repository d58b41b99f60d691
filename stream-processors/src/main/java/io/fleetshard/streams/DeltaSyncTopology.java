package io.fleetshard.streams;

import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.Topology;

/**
 * The delta sync of one resharding job (ADR 0013): the source's shard log (one partition, the shard's commit order)
 * into the target shard, by primary key, for the moving fleets only. Nodes: {@value #SOURCE} → {@value #APPLY}, with
 * the store {@value #PENDING}.
 */
final class DeltaSyncTopology {
    static final String SOURCE = "delta-sync-shard-log";
    static final String APPLY = "delta-sync-apply";
    static final String PENDING = "delta-sync-pending-apply";

    private DeltaSyncTopology() {
    }

    /**
     * @param shardLogTopic the source's shard log
     * @param jobId the job (its fence marker carries it in {@code after.job_id})
     * @param fleets moving fleets as {@code tenant/fleet}
     * @param batchSize most changes per target transaction
     * @param flushInterval pending changes are applied at least this often (wall clock)
     * @param writers opens the target (one writer per task)
     */
    static Topology build(String shardLogTopic, String jobId, Set<String> fleets, int batchSize, Duration flushInterval,
            Supplier<TargetWriter> writers, DeltaSyncProgress progress, DeltaSyncMetrics metrics) {
        Set<String> moving = Set.copyOf(fleets);
        Topology t = new Topology();
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), shardLogTopic);
        t.addProcessor(APPLY, () -> new DeltaSyncProcessor(jobId, moving, batchSize, flushInterval, PENDING), SOURCE);
        t.addStateStore(PendingApplyStore.builder(PENDING, writers, progress, metrics), APPLY);
        return t;
    }
}
