package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Where a shard's change capture is, as its last committed position in capture's offsets topic shows it (ADR 0036):
 * capture writes that position in the same Kafka transaction as every batch it publishes, heartbeats included, so it
 * is readable from any process. A position taken inside Debezium's initial snapshot carries the offset field
 * {@code snapshot} (Debezium 3.5: the snapshot type, e.g. {@code "INITIAL"}); the first position after the snapshot
 * (Debezium dispatches a heartbeat there) and every streamed one do not.
 *
 * @param stage       streaming, in its initial snapshot, or no position committed at all
 * @param writtenAtMs when capture committed that position (capture's clock), or -1 without one
 */
record CaptureState(String shardId, Stage stage, long writtenAtMs) {
    enum Stage {
        /** The engine reads the change stream: a commit from now on reaches the change topics as c/u/d. */
        STREAMING,
        /** The engine is in its initial snapshot: rows it reads reach the change topics as snapshot reads (r). */
        SNAPSHOT,
        /** Capture has committed nothing for the shard: never started, reset, or not through its first batch yet. */
        NONE
    }

    /** A reader that does not look at capture (tests, a failover-only reader): taken as streaming. */
    static CaptureState assumedStreaming(String shardId) {
        return new CaptureState(shardId, Stage.STREAMING, -1);
    }

    static CaptureState none(String shardId) {
        return new CaptureState(shardId, Stage.NONE, -1);
    }

    /**
     * The state a record of the offsets topic shows (capture's {@code StoredOffset} JSON: {@code shard},
     * {@code partition}, {@code offset}, {@code mapVersion}, {@code writtenAtMs}); {@code value} null is a tombstone
     * (capture reset: the next capture snapshots again).
     */
    static CaptureState fromStoredOffset(String shardId, JsonNode value) {
        if (value == null || value.isNull() || !value.path("offset").isObject()) {
            return none(shardId);
        }
        long at = value.path("writtenAtMs").asLong(-1);
        JsonNode offset = value.path("offset");
        return new CaptureState(shardId, inSnapshot(offset) ? Stage.SNAPSHOT : Stage.STREAMING, at);
    }

    /**
     * Debezium writes {@code snapshot} only while a snapshot runs: a snapshot type ({@code "INITIAL"},
     * {@code "BLOCKING"}) since 2.x, {@code true} before. PostgreSQL adds {@code snapshot_completed}, true on the
     * positions written once every row was read.
     */
    private static boolean inSnapshot(JsonNode offset) {
        JsonNode snapshot = offset.get("snapshot");
        if (snapshot == null || snapshot.isNull()) {
            return false;
        }
        if (snapshot.isBoolean() ? !snapshot.booleanValue()
                : snapshot.asText().isEmpty() || "false".equalsIgnoreCase(snapshot.asText())) {
            return false;
        }
        return !offset.path("snapshot_completed").asBoolean(false);
    }

    boolean streaming() {
        return stage == Stage.STREAMING;
    }

    /** Why a job cannot start on this shard now, for a 409 (empty when it can). */
    String refusal(String role) {
        return switch (stage) {
            case STREAMING -> "";
            case SNAPSHOT -> "change capture of " + role + " shard " + shardId + " is still in its initial snapshot"
                    + " (its last position, committed " + age() + ", is a snapshot read): rows copied now could reach"
                    + " the change topics as snapshot reads (op r), and the delta sync, probe and fence need capture"
                    + " streaming. Retry once capture of " + shardId + " streams";
            case NONE -> "change capture of " + role + " shard " + shardId + " has committed no position yet (it has"
                    + " not started, was reset, or is starting its initial snapshot): a move needs capture streaming"
                    + " on both shards. Start capture for " + shardId + " and retry once it streams";
        };
    }

    private String age() {
        return writtenAtMs < 0 ? "at an unknown time" : "at " + java.time.Instant.ofEpochMilli(writtenAtMs);
    }
}
