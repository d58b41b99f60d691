package io.fleetshard.cdc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Capture's watermark on the shard log (ADR 0048, docs/spec/change-events.md "Watermarks"): written after a streamed
 * heartbeat, it says that every change committed on the shard before {@code commitTsMs} lies at a lower offset of the
 * shard log. It is recognised by its header {@code fleetshard.marker = watermark}; it has no key, no {@code op} and
 * never reaches a {@code fleetshard.cdc.<table>} topic.
 */
final class ShardLogWatermark {
    static final String MARKER = "watermark";
    static final int VERSION = 1;

    private ShardLogWatermark() {
    }

    /** The shard-log record of a heartbeat at {@code position} committed at {@code commitTsMs}. */
    static ProducerRecord<byte[], byte[]> record(String shardLog, String shardId, String position, long commitTsMs,
            long captureTsMs) {
        ObjectNode v = StoredOffset.JSON.createObjectNode();
        v.put("watermark", VERSION);
        v.put("shard", shardId);
        v.put("position", position);
        v.put("commitTsMs", commitTsMs);
        v.put("captureTsMs", captureTsMs);
        Headers h = new RecordHeaders();
        h.add(ChangeEnvelopeMapper.H_MARKER, utf8(MARKER));
        h.add(ChangeEnvelopeMapper.H_SHARD, utf8(shardId));
        h.add(ChangeEnvelopeMapper.H_POSITION, utf8(position));
        h.add(ChangeEnvelopeMapper.H_COMMIT_TS, utf8(Long.toString(commitTsMs)));
        return new ProducerRecord<>(shardLog, 0, commitTsMs, null, v.toString().getBytes(StandardCharsets.UTF_8), h);
    }

    /** Whether a shard-log record is a watermark (every reader of the shard log that wants changes skips it). */
    static boolean is(Headers headers) {
        Header h = headers.lastHeader(ChangeEnvelopeMapper.H_MARKER);
        return h != null && MARKER.equals(new String(h.value(), StandardCharsets.UTF_8));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
