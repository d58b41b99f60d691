package io.fleetshard.streams;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** A fleet's writes in one window so far, and the shard the last one was captured on. */
record FleetWrites(long writes, String shardId) {
    static final FleetWrites NONE = new FleetWrites(0, "");

    FleetWrites plus(String shard) {
        return new FleetWrites(writes + 1, shard == null ? shardId : shard);
    }

    /** {@code <writes>\n<shardId>} in UTF-8 (the window store's changelog). */
    static final Serde<FleetWrites> SERDE = Serdes.serdeFrom(
            (Serializer<FleetWrites>) (topic, w) -> w == null ? null
                    : (w.writes + "\n" + w.shardId).getBytes(StandardCharsets.UTF_8),
            (Deserializer<FleetWrites>) (topic, bytes) -> {
                if (bytes == null) {
                    return null;
                }
                String s = new String(bytes, StandardCharsets.UTF_8);
                int nl = s.indexOf('\n');
                return new FleetWrites(Long.parseLong(s.substring(0, nl)), s.substring(nl + 1));
            });
}
