package io.fleetshard.testkit;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A broker in a process of its own for {@link EmbeddedKafkaIT} to SIGKILL: starts on {@code args[0]} (data directory)
 * and {@code args[1]} (port), writes one record to topic {@code args[2]}, prints {@value #READY} and waits to die.
 */
final class KafkaToKill {
    static final String READY = "record written, kill me";

    private KafkaToKill() {
    }

    public static void main(String[] args) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]), Integer.parseInt(args[1]));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(args[2], "k", "before-kill")).get(30, TimeUnit.SECONDS);
        }
        System.out.println(READY);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
