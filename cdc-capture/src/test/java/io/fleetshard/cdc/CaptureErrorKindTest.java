package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;

class CaptureErrorKindTest {

    @Test
    void aDatabaseErrorWrappedByDebeziumCountsAsTheSourceNotKafka() {
        // what Debezium threw when a dev primary was killed: Connect's ConnectException (a KafkaException) over the
        // driver's error
        Throwable lost = new ConnectException("An exception occurred in the change event producer. This connector"
                + " will be stopped.", new SQLException("FATAL: terminating connection due to unexpected postmaster"
                + " exit", "57P01"));
        assertThat(ShardCapture.ErrorKind.of(lost)).isEqualTo("source-unreachable");
        assertThat(ShardCapture.ErrorKind.of(new ConnectException("failed", new SQLException("password", "28P01"))))
                .isEqualTo("bad-config");
    }

    @Test
    void kafkaFailuresFencingAndEngineFailuresKeepTheirKinds() {
        assertThat(ShardCapture.ErrorKind.of(new TimeoutException("no broker"))).isEqualTo("kafka");
        assertThat(ShardCapture.ErrorKind.of(new ConnectException("send failed", new TimeoutException("no broker"))))
                .isEqualTo("kafka");
        assertThat(ShardCapture.ErrorKind.of(new ConnectException("wrapped", new ProducerFencedException("old"))))
                .isEqualTo("fenced");
        assertThat(ShardCapture.ErrorKind.of(new ConnectException("a decoding bug", new IllegalStateException())))
                .isEqualTo("engine");
        assertThat(ShardCapture.ErrorKind.of(new ShardCapture.SlotMissingException("slot gone")))
                .isEqualTo("slot-missing");
    }
}
