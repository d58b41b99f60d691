package io.fleetshard.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

/**
 * Hot fleets: counts each fleet's application writes ({@code c}, {@code u}, {@code d}; not snapshot reads, not the
 * resharder's tagged records) over the change topics in tumbling event-time windows, and emits one event to the
 * output topic when a window's count reaches the threshold. Key {@code tenant/fleet}, value
 * {@code {"tenantId","fleetId","shardId","writes","windowStartMs","windowEndMs"}}. The window counts are kept in an
 * in-memory window store (restored from its changelog) without caching, so every count passes through the
 * threshold exactly once.
 */
final class HotFleetTopology {
    static final String SOURCE = "hotfleets-change-topics";
    static final String WRITES = "hotfleets-writes-by-fleet";
    static final String BY_FLEET = "hotfleets-by-fleet";
    static final String COUNT = "hotfleets-count";
    static final String STORE = "hotfleets-window-counts";
    static final String WINDOWS = "hotfleets-windows";
    static final String REACHED = "hotfleets-threshold-reached";
    static final String SINK = "hotfleets-sink";
    /**
     * Default input: every change topic, not capture's own topics under the same prefix (dead letters, shard
     * assignments, source offsets), which carry no row changes and would add tasks for nothing.
     */
    static final String DEFAULT_INPUT = "fleetshard\\.cdc\\.(?!dead-letters$)(?!assignments$)(?!offsets$).*";

    private static final ObjectMapper JSON = new ObjectMapper();

    private HotFleetTopology() {
    }

    static Topology build(Pattern input, String outputTopic, Duration window, Duration grace, long threshold) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE))
                .process(WriteOfFleet::new, Named.as(WRITES))
                .groupByKey(Grouped.with(BY_FLEET, Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(window, grace))
                .aggregate(() -> FleetWrites.NONE, (fleet, shard, agg) -> agg.plus(shard), Named.as(COUNT),
                        Materialized.<String, FleetWrites>as(Stores.inMemoryWindowStore(STORE, window.plus(grace), window, false))
                                .withKeySerde(Serdes.String()).withValueSerde(FleetWrites.SERDE).withCachingDisabled())
                .toStream(Named.as(WINDOWS))
                .process(() -> new ThresholdReached(threshold), Named.as(REACHED))
                .to(outputTopic, Produced.with(Serdes.String(), Serdes.String()).withName(SINK));
        return b.build();
    }

    /** A change event → (tenant/fleet, shard) if it is an application write, else nothing. */
    static final class WriteOfFleet implements Processor<byte[], byte[], String, String> {
        private ProcessorContext<String, String> context;

        @Override
        public void init(ProcessorContext<String, String> context) {
            this.context = context;
        }

        @Override
        public void process(Record<byte[], byte[]> r) {
            Headers h = r.headers();
            String op = ChangeHeaders.text(h, ChangeHeaders.OP);
            if (op == null || !(op.equals("c") || op.equals("u") || op.equals("d")) || ChangeHeaders.isTagged(h)
                    || ChangeHeaders.isOffload(h)) {
                return; // not the application's writes: a shard move's, or an offload's (ADR 0023)
            }
            String fleet = ChangeHeaders.fleetKey(h);
            if (fleet != null) {
                context.forward(new Record<>(fleet, ChangeHeaders.text(h, ChangeHeaders.SHARD), r.timestamp()));
            }
        }
    }

    /** Emits a window's count once: when it equals the threshold (counts rise by one, uncached). No input headers. */
    static final class ThresholdReached implements Processor<Windowed<String>, FleetWrites, String, String> {
        private final long threshold;
        private ProcessorContext<String, String> context;

        ThresholdReached(long threshold) {
            this.threshold = threshold;
        }

        @Override
        public void init(ProcessorContext<String, String> context) {
            this.context = context;
        }

        @Override
        public void process(Record<Windowed<String>, FleetWrites> r) {
            if (r.value() == null || r.value().writes() != threshold) {
                return;
            }
            String fleet = r.key().key();
            int slash = fleet.indexOf('/');
            ObjectNode v = JSON.createObjectNode()
                    .put("tenantId", fleet.substring(0, slash))
                    .put("fleetId", fleet.substring(slash + 1))
                    .put("shardId", r.value().shardId())
                    .put("writes", r.value().writes())
                    .put("windowStartMs", r.key().window().start())
                    .put("windowEndMs", r.key().window().end());
            context.forward(new Record<>(fleet, v.toString(), r.timestamp()));
        }
    }
}
