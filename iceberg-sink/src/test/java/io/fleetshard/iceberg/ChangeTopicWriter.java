package io.fleetshard.iceberg;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes change envelopes to a change topic the way cdc-capture does: transactional, key = primary key JSON, an
 * explicit partition per fleet, the record timestamp = commit time, the {@code fleetshard.*} headers. Remembers the
 * last offset it wrote per partition, so a test can wait for the sink to reach it.
 */
final class ChangeTopicWriter implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;
    private final Map<Integer, Long> lastOffsets = new TreeMap<>();

    ChangeTopicWriter(String bootstrap, String topic, int partitions) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-" + topic + "-" + UUID.randomUUID());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
        producer.initTransactions();
        this.topic = topic;
        this.partitions = partitions;
    }

    /** One source transaction's changes, committed or aborted. */
    void write(List<ObjectNode> envelopes, boolean commit) {
        write(envelopes, commit, Map.of());
    }

    /** One source transaction's changes with extra headers on each (e.g. {@code fleetshard.origin=offload}). */
    void write(List<ObjectNode> envelopes, boolean commit, Map<String, String> extraHeaders) {
        producer.beginTransaction();
        List<Future<RecordMetadata>> sent = new java.util.ArrayList<>();
        for (ObjectNode e : envelopes) {
            // all changes of one fleet on one partition, as the spec's floorMod(FleetToken, partitions) does
            int partition = Math.floorMod((e.get("tenant").asText() + "/" + e.get("fleet").asText()).hashCode(), partitions);
            RecordHeaders h = new RecordHeaders();
            h.add("fleetshard.op", utf8(e.get("op").asText()));
            h.add("fleetshard.table", utf8(e.get("table").asText()));
            h.add("fleetshard.tenant", utf8(e.get("tenant").asText()));
            h.add("fleetshard.fleet", utf8(e.get("fleet").asText()));
            h.add("fleetshard.commit.ts.ms", utf8(e.get("commitTsMs").asText()));
            extraHeaders.forEach((k, v) -> h.add(k, utf8(v)));
            sent.add(producer.send(new ProducerRecord<>(topic, partition, e.get("commitTsMs").asLong(),
                    Envelopes.keyBytes(e), Envelopes.bytes(e), h)));
        }
        if (commit) {
            producer.commitTransaction();
            for (Future<RecordMetadata> f : sent) {
                try {
                    RecordMetadata m = f.get();
                    lastOffsets.merge(m.partition(), m.offset(), Math::max);
                } catch (InterruptedException | ExecutionException ex) {
                    throw new IllegalStateException(ex);
                }
            }
        } else {
            producer.flush();
            producer.abortTransaction();
        }
    }

    /** Per partition, the offset after the last committed change written: where a sink that has everything stands. */
    Map<Integer, Long> nextOffsets() {
        Map<Integer, Long> out = new TreeMap<>();
        lastOffsets.forEach((p, o) -> out.put(p, o + 1));
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close();
    }
}
