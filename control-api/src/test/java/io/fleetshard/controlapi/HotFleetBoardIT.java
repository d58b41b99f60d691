package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.SharedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The board on a real broker, started before the detector made its topic, as on a fresh platform. */
class HotFleetBoardIT {

    @Test
    void findsTheReportTopicCreatedAfterItStartedWithinSeconds() throws Exception {
        String bootstrap = SharedKafka.get().bootstrapServers();
        String topic = "it-" + UUID.randomUUID() + ".hotfleets";
        long windowStart = System.currentTimeMillis() / 60_000 * 60_000;
        try (HotFleetBoard board = new HotFleetBoard(bootstrap, Map.of(), Clock.systemUTC(), Duration.ofMinutes(10),
                topic)) {
            board.start();
            Await.condition("the board's first poll (its topic does not exist yet)", Duration.ofSeconds(30),
                    board::polled);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new ByteArraySerializer(),
                         new ByteArraySerializer())) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
                String report = "{\"tenantId\":\"acme\",\"fleetId\":\"trucks\",\"shardId\":\"pg-2\",\"writes\":5000,"
                        + "\"windowStartMs\":" + windowStart + ",\"windowEndMs\":" + (windowStart + 60_000) + "}";
                producer.send(new ProducerRecord<>(topic, "acme/trucks".getBytes(StandardCharsets.UTF_8),
                        report.getBytes(StandardCharsets.UTF_8))).get();
            }
            // the consumer's default metadata age (5 minutes) made this wait that long on a fresh dev platform
            Await.condition("the report on the board", Duration.ofSeconds(20), () -> !board.current().isEmpty());
            assertThat(board.current()).containsExactly(new HotFleetBoard.HotFleet("acme", "trucks", "pg-2", 5000,
                    windowStart, windowStart + 60_000));
        }
    }
}
