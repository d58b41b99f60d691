package io.fleetshard.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per shard-log record, what the delta sync does with it (ADR 0013): a tagged record (the resharder's own
 * writes) is skipped, except this job's fence marker, which is recorded; a change of a moving fleet is queued for the
 * target; anything else is skipped. Every handled record moves the progress offset. Queued changes are applied when a
 * batch is full, on a wall-clock punctuation, and before every commit ({@link PendingApplyStore}).
 */
final class DeltaSyncProcessor implements Processor<byte[], byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaSyncProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

    private final String jobId;
    private final Set<String> fleets;
    private final int batchSize;
    private final Duration flushInterval;
    private final String storeName;
    private ProcessorContext<Void, Void> context;
    private PendingApplyStore store;
    private boolean announced;

    DeltaSyncProcessor(String jobId, Set<String> fleets, int batchSize, Duration flushInterval, String storeName) {
        this.jobId = jobId;
        this.fleets = fleets;
        this.batchSize = batchSize;
        this.flushInterval = flushInterval;
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        this.store = context.getStateStore(storeName);
        context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, now -> {
            announce();
            store.flush();
        });
    }

    /** A held job's app skipped its start announcement at init (ADR 0030): it makes it once it runs. */
    private void announce() {
        if (!announced) {
            announced = store.announce();
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        announce();
        long offset = context.recordMetadata().map(RecordMetadata::offset)
                .orElseThrow(() -> new IllegalStateException("a shard-log record without an offset"));
        if (offset <= store.storedOffset()) {
            return; // applied by an earlier target transaction (a replay after a crash, see PendingApplyStore)
        }
        Headers headers = record.headers();
        if (ChangeHeaders.isWatermark(headers)) {
            store.add(null, offset, 0); // capture's watermark (ADR 0048): its offset counts, it changes no row
        } else if (ChangeHeaders.isTagged(headers)) {
            JsonNode fence = ownFence(headers, record.value(), offset);
            long fenceSeq = fence == null ? 0 : fenceSeq(fence, offset);
            store.add(null, offset, fenceSeq);
            if (fenceSeq > 0) {
                long readMs = System.currentTimeMillis();
                store.flush(); // the moving fleets' writes are held until the target shows the fence: no batching
                logFencePath(fenceSeq, offset, fence, readMs);
                return;
            }
        } else if (fleets.contains(ChangeHeaders.fleetKey(headers))) {
            store.add(change(record.value(), offset), offset, 0);
        } else {
            store.add(null, offset, 0);
        }
        if (store.pendingChanges() >= batchSize) {
            store.flush();
        }
    }

    /**
     * Says where the write freeze went, hop by hop from the source commit: capture mapped the marker, this app read it,
     * the target applied it (the clocks of the source, capture and this process: one machine or NTP-synchronised ones).
     */
    private void logFencePath(long fenceSeq, long offset, JsonNode n, long readMs) {
        long committedMs = n.path("commitTsMs").asLong(-1);
        long capturedMs = n.path("captureTsMs").asLong(-1);
        long appliedMs = System.currentTimeMillis();
        if (committedMs <= 0 || capturedMs < committedMs) {
            LOG.info("delta sync job '{}': fence {} at offset {} applied on the target", jobId, fenceSeq, offset);
            return;
        }
        LOG.info("delta sync job '{}': fence {} at offset {} applied on the target; from the source commit: captured +{} ms,"
                + " read here +{} ms, applied +{} ms", jobId, fenceSeq, offset, capturedMs - committedMs,
                readMs - committedMs, appliedMs - committedMs);
    }

    /** The envelope of the record if it is this job's fence marker, else null. */
    private JsonNode ownFence(Headers headers, byte[] value, long offset) {
        if (!ChangeHeaders.MARKER_FENCE.equals(ChangeHeaders.text(headers, ChangeHeaders.MARKER))) {
            return null;
        }
        JsonNode n = envelope(value, offset);
        return jobId.equals(n.path("after").path("job_id").asText(null)) ? n : null;
    }

    /** The sequence number of this job's fence marker {@code fence}; a marker without a positive one stops the job. */
    private long fenceSeq(JsonNode fence, long offset) {
        long seq = fence.path("after").path("seq").asLong(0);
        if (seq <= 0) {
            throw malformed(offset, "is this job's fence marker without a positive 'seq'");
        }
        return seq;
    }

    /** The change an envelope (docs/spec/change-events.md) asks for; a malformed one stops the job. */
    private TargetChange change(byte[] value, long offset) {
        JsonNode n = envelope(value, offset);
        String op = n.path("op").asText("");
        String table = n.path("table").asText("");
        if (!TABLE.matcher(table).matches()) {
            throw malformed(offset, "has table '" + table + "', not a plain SQL identifier");
        }
        switch (op) {
            case "c", "u", "r" -> {
                JsonNode after = n.path("after");
                if (!after.isObject()) {
                    throw malformed(offset, "is a '" + op + "' event without an 'after' object");
                }
                return new TargetChange(offset, table, false, n.path("key").isObject() ? n.get("key") : null, after);
            }
            case "d" -> {
                JsonNode key = n.path("key");
                if (!key.isObject()) {
                    throw malformed(offset, "is a 'd' event without a 'key' object");
                }
                return new TargetChange(offset, table, true, key, null);
            }
            default -> throw malformed(offset, "has op '" + op + "', expected c, u, r or d");
        }
    }

    private JsonNode envelope(byte[] value, long offset) {
        if (value == null) {
            throw malformed(offset, "has no value");
        }
        try {
            JsonNode n = JSON.readTree(value);
            if (n == null || !n.isObject()) {
                throw malformed(offset, "is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw malformed(offset, "is not JSON (" + e.getMessage() + ")");
        }
    }

    private MalformedRecord malformed(long offset, String detail) {
        return new MalformedRecord("delta sync job '" + jobId + "': the shard-log record at offset " + offset + " " + detail
                + "; the job stops here so that no change is skipped: repair the shard log or cancel the job");
    }

    /** A shard-log record the job cannot apply: fatal for the job (skipping it could lose a row). */
    static final class MalformedRecord extends StreamProcessorException {
        private static final long serialVersionUID = 1L;

        MalformedRecord(String message) {
            super(message);
        }
    }
}
