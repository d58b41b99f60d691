package io.fleetshard.cdc;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads the end of a shard log: whether its last committed record belongs to a resharder's transaction (ADR 0013). */
final class ShardLogTail {
    /** How far before the end to look for the last data record: transaction markers take offsets too. */
    private static final int LOOK_BACK = 256;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

    private ShardLogTail() {
    }

    /** A tagged source transaction: a resharder's ({@code origin=reshard}) or an offload ({@code origin=offload}). */
    record Tagged(String txId, boolean offload) {
    }

    /** The tagged transaction the shard log's last record belongs to ({@code fleetshard.origin} reshard or offload), or null. */
    static Tagged taggedTxAtEnd(String bootstrapServers, java.util.Map<String, String> security, String shardLog) {
        java.util.concurrent.atomic.AtomicReference<ConsumerRecord<byte[], byte[]>> last =
                new java.util.concurrent.atomic.AtomicReference<>();
        readEnd(bootstrapServers, security, shardLog, LOOK_BACK, READ_TIMEOUT, last::set);
        return last.get() == null ? null : taggedTx(last.get().headers());
    }

    /**
     * Hands {@code each} the committed records of the shard log's last {@code lookBack} offsets, oldest first
     * (transaction markers take offsets too, so fewer records than that); empty log, nothing.
     *
     * @throws CaptureException when the end is not read within {@code timeout} (capture retries)
     */
    static void readEnd(String bootstrapServers, java.util.Map<String, String> security, String shardLog, int lookBack,
                        Duration timeout, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(security); // TLS/SASL (ADR 0027)
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        TopicPartition tp = new TopicPartition(shardLog, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            if (end == 0) {
                return;
            }
            consumer.seek(tp, Math.max(0, end - lookBack));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    throw new CaptureException("could not read the end of shard log " + shardLog + " within "
                            + timeout.toSeconds() + " s; capture retries");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }

    static Tagged taggedTx(Headers headers) {
        Header origin = headers.lastHeader(ChangeEnvelopeMapper.H_ORIGIN);
        Header tx = headers.lastHeader(ChangeEnvelopeMapper.H_TX);
        if (origin == null || tx == null) {
            return null;
        }
        String o = new String(origin.value(), StandardCharsets.UTF_8);
        if (!ChangeEnvelopeMapper.ORIGIN_RESHARD.equals(o) && !ChangeEnvelopeMapper.ORIGIN_OFFLOAD.equals(o)) {
            return null;
        }
        return new Tagged(new String(tx.value(), StandardCharsets.UTF_8), ChangeEnvelopeMapper.ORIGIN_OFFLOAD.equals(o));
    }
}
