package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.Engine;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** Capture's watermark record on the shard log (ADR 0048), and how a heartbeat becomes one. */
class ShardLogWatermarkTest {
    private static final Schema HB_ROW = SchemaBuilder.struct().name("hb").field("id", Schema.INT32_SCHEMA).optional()
            .build();
    private static final Schema PG_SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("db", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA).field("txId", Schema.OPTIONAL_INT64_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).build();
    private static final Schema MARIA_SOURCE = SchemaBuilder.struct().name("io.debezium.connector.mariadb.Source")
            .field("db", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA).field("gtid", Schema.OPTIONAL_STRING_SCHEMA)
            .field("file", Schema.STRING_SCHEMA).field("pos", Schema.INT64_SCHEMA)
            .field("row", Schema.INT32_SCHEMA).build();

    private static SourceRecord heartbeatRow(Schema sourceSchema, Struct source, String op) {
        Schema envelope = SchemaBuilder.struct().name("envelope").field("before", HB_ROW).field("after", HB_ROW)
                .field("source", sourceSchema).field("op", Schema.STRING_SCHEMA).build();
        Struct value = new Struct(envelope).put("after", new Struct(HB_ROW).put("id", 1)).put("source", source)
                .put("op", op);
        return new SourceRecord(Map.of("server", "s"), Map.of("lsn", 1L), "fs_s.public.fleetshard_heartbeat", null,
                envelope, value);
    }

    private static ChangeEnvelopeMapper.Outcome map(Engine engine, SourceRecord r) {
        return new ChangeEnvelopeMapper(CaptureConfig.builder("localhost:9092", "w1").build(), "s1", engine, t -> 12)
                .map(r, 42, 1_700_000_009_000L);
    }

    @Test
    void aStreamedPostgresHeartbeatIsAWatermarkAtItsLsnAndCommitTime() {
        Struct source = new Struct(PG_SOURCE).put("db", "shard1").put("table", "fleetshard_heartbeat")
                .put("ts_ms", 1_700_000_000_500L).put("txId", 778L).put("lsn", 0x1_0000_00C0L);
        assertThat(map(Engine.POSTGRES, heartbeatRow(PG_SOURCE, source, "u")))
                .isEqualTo(new ChangeEnvelopeMapper.Heartbeat("1/C0", 1_700_000_000_500L));
    }

    @Test
    void aStreamedMariaDbHeartbeatIsAWatermarkAtItsGtidAndSecondPrecisionCommitTime() {
        Struct source = new Struct(MARIA_SOURCE).put("db", "shard2").put("table", "fleetshard_heartbeat")
                .put("ts_ms", 1_700_000_000_000L).put("gtid", "0-1-43").put("file", "bin.000003").put("pos", 2000L)
                .put("row", 0);
        assertThat(map(Engine.MARIADB, heartbeatRow(MARIA_SOURCE, source, "c")))
                .isEqualTo(new ChangeEnvelopeMapper.Heartbeat("0-1-43@bin.000003:2000#0", 1_700_000_000_000L));
    }

    @Test
    void aSnapshotReadOfTheHeartbeatTableIsNoWatermark() {
        Struct source = new Struct(PG_SOURCE).put("db", "shard1").put("table", "fleetshard_heartbeat")
                .put("ts_ms", 1_700_000_000_500L);
        assertThat(map(Engine.POSTGRES, heartbeatRow(PG_SOURCE, source, "r")))
                .isInstanceOf(ChangeEnvelopeMapper.NotAChange.class);
    }

    @Test
    void theRecordGoesToPartitionZeroOfTheShardLogWithoutKeyMarkedAsAWatermark() throws Exception {
        ProducerRecord<byte[], byte[]> r = ShardLogWatermark.record("fleetshard.shardlog.s1", "s1", "1/C0",
                1_700_000_000_500L, 1_700_000_000_530L);
        assertThat(r.topic()).isEqualTo("fleetshard.shardlog.s1");
        assertThat(r.partition()).isZero();
        assertThat(r.key()).isNull();
        assertThat(r.timestamp()).isEqualTo(1_700_000_000_500L);
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("{\"watermark\":1,\"shard\":\"s1\","
                + "\"position\":\"1/C0\",\"commitTsMs\":1700000000500,\"captureTsMs\":1700000000530}");
        JsonNode v = StoredOffset.JSON.readTree(r.value());
        assertThat(v.has("op")).as("no consumer can take it for a change").isFalse();
        Map<String, String> h = new TreeMap<>();
        for (Header header : r.headers()) {
            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        assertThat(h).isEqualTo(Map.of("fleetshard.marker", "watermark", "fleetshard.shard", "s1",
                "fleetshard.position", "1/C0", "fleetshard.commit.ts.ms", "1700000000500"));
        assertThat(ShardLogWatermark.is(r.headers())).isTrue();
    }

    @Test
    void aResharderMarkerOrAChangeIsNoWatermark() {
        RecordHeaders marker = new RecordHeaders();
        marker.add("fleetshard.marker", "fence".getBytes(StandardCharsets.UTF_8));
        assertThat(ShardLogWatermark.is(marker)).isFalse();
        assertThat(ShardLogWatermark.is(new RecordHeaders())).isFalse();
    }

    @Test
    void aShardLogEndingInAWatermarkEndsNoTaggedTransaction() {
        ProducerRecord<byte[], byte[]> r = ShardLogWatermark.record("l", "s1", "1/C0", 1, 2);
        assertThat(ShardLogTail.taggedTx(r.headers())).isNull();
    }
}
