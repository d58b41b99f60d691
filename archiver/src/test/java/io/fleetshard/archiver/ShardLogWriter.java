package io.fleetshard.archiver;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes change events to a shard log the way cdc-capture does: transactional, with the commit-time and position
 * headers. Event {@code n} is {@code {"op":"c","n":n,...}} so a test can prove each is archived exactly once.
 */
final class ShardLogWriter implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;

    ShardLogWriter(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-" + topic + "-" + UUID.randomUUID());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
        producer.initTransactions();
        this.topic = topic;
    }

    /** Events {@code from..to} (inclusive) in one transaction, committed or aborted. */
    void write(long from, long to, boolean commit) {
        producer.beginTransaction();
        for (long n = from; n <= to; n++) {
            long ts = System.currentTimeMillis();
            String value = "{\"version\":1,\"op\":\"c\",\"table\":\"vehicles\",\"n\":" + n + ",\"position\":\"0/" + Long.toHexString(n)
                    + "\",\"commitTsMs\":" + ts + ",\"after\":{\"vehicle_id\":\"v" + n + "\"}}";
            RecordHeaders h = new RecordHeaders();
            h.add(Archiver.H_COMMIT_TS, Long.toString(ts).getBytes(StandardCharsets.UTF_8));
            h.add(Archiver.H_POSITION, ("0/" + Long.toHexString(n)).getBytes(StandardCharsets.UTF_8));
            producer.send(new ProducerRecord<>(topic, 0, ts, ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8), h));
        }
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.flush();
            producer.abortTransaction();
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
