package io.fleetshard.cdc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fleetshard.shardmap.Engine;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** The envelope's exact bytes, key, partition and headers for Debezium records of each engine (no network). */
class ChangeEnvelopeMapperTest {
    private static final Schema ROW = SchemaBuilder.struct().name("row")
            .field("tenant_id", Schema.STRING_SCHEMA)
            .field("fleet_id", Schema.STRING_SCHEMA)
            .field("vehicle_id", Schema.STRING_SCHEMA)
            .field("ts", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").build())
            .field("zts", SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").optional().build())
            .field("day", SchemaBuilder.int32().name("io.debezium.time.Date").optional().build())
            .field("tod", SchemaBuilder.int64().name("io.debezium.time.MicroTime").optional().build())
            .field("nts", SchemaBuilder.int64().name("io.debezium.time.NanoTimestamp").optional().build())
            .field("mts", SchemaBuilder.int64().name("io.debezium.time.Timestamp").optional().build())
            .field("cts", org.apache.kafka.connect.data.Timestamp.builder().optional().build())
            .field("price", Decimal.builder(2).optional().build())
            .field("lat", Schema.OPTIONAL_FLOAT64_SCHEMA)
            .field("speed", Schema.OPTIONAL_FLOAT32_SCHEMA)
            .field("count", Schema.OPTIONAL_INT32_SCHEMA)
            .field("small", Schema.OPTIONAL_INT16_SCHEMA)
            .field("ok", Schema.OPTIONAL_BOOLEAN_SCHEMA)
            .field("blob", Schema.OPTIONAL_BYTES_SCHEMA)
            .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
            .field("note", Schema.OPTIONAL_STRING_SCHEMA)
            .optional().build();
    private static final Schema KEY = SchemaBuilder.struct().name("key")
            .field("tenant_id", Schema.STRING_SCHEMA).field("fleet_id", Schema.STRING_SCHEMA)
            .field("vehicle_id", Schema.STRING_SCHEMA).build();
    private static final Schema PG_SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("db", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA).field("txId", Schema.OPTIONAL_INT64_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).build();
    private static final Schema MARIA_SOURCE = SchemaBuilder.struct().name("io.debezium.connector.mariadb.Source")
            .field("db", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA).field("gtid", Schema.OPTIONAL_STRING_SCHEMA)
            .field("file", Schema.STRING_SCHEMA).field("pos", Schema.INT64_SCHEMA)
            .field("row", Schema.INT32_SCHEMA).build();

    private final CaptureConfig config = CaptureConfig.builder("localhost:9092", "w1").build();

    private static Struct row(String vehicle, boolean full) {
        Struct r = new Struct(ROW).put("tenant_id", "t1").put("fleet_id", "f\"1").put("vehicle_id", vehicle)
                .put("ts", 1_700_000_000_123_456L);
        if (full) {
            r.put("zts", "2023-11-14T22:13:20.123456Z").put("day", 19_675).put("tod", 45_296_000_001L)
                    .put("nts", 1_700_000_000_123_456_789L).put("mts", 1_700_000_000_123L)
                    .put("cts", new java.util.Date(1_700_000_000_123L)).put("price", new BigDecimal("12.50"))
                    .put("lat", 52.520008).put("speed", 88.5f).put("count", 7).put("small", (short) -3)
                    .put("ok", true).put("blob", ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xff}))
                    .put("tags", List.of("a", "b\u00e9")).put("note", "line\nbreak \u2603");
        }
        return r;
    }

    private static SourceRecord record(Schema sourceSchema, Struct source, String op, Struct before, Struct after) {
        Schema envelope = SchemaBuilder.struct().name("envelope").field("before", ROW).field("after", ROW)
                .field("source", sourceSchema).field("op", Schema.STRING_SCHEMA)
                .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).build();
        Struct value = new Struct(envelope).put("before", before).put("after", after).put("source", source)
                .put("op", op).put("ts_ms", 1_700_000_000_999L);
        Struct key = new Struct(KEY).put("tenant_id", "t1").put("fleet_id", "f\"1")
                .put("vehicle_id", (after != null ? after : before).getString("vehicle_id"));
        return new SourceRecord(Map.of("server", "s"), Map.of("lsn", 1L), "fs_s.public.vehicles", null, KEY, key,
                envelope, value);
    }

    private ChangeEnvelopeMapper.Change map(Engine engine, SourceRecord r) {
        ChangeEnvelopeMapper mapper = new ChangeEnvelopeMapper(config, "s1", engine, topic -> 12);
        return assertInstanceOf(ChangeEnvelopeMapper.Change.class, mapper.map(r, 42, 1_700_000_001_000L));
    }

    private static Map<String, String> headers(ProducerRecord<byte[], byte[]> r) {
        Map<String, String> h = new TreeMap<>();
        for (Header header : r.headers()) {
            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        return h;
    }

    @Test
    void writesThePostgresEnvelopeByteForByte() {
        Struct source = new Struct(PG_SOURCE).put("db", "shard1").put("table", "vehicles")
                .put("ts_ms", 1_700_000_000_500L).put("txId", 777L).put("lsn", 0x1_0000_00ABL);
        ChangeEnvelopeMapper.Change c = map(Engine.POSTGRES, record(PG_SOURCE, source, "u", row("v7", false), row("v7", true)));
        ProducerRecord<byte[], byte[]> r = c.record();
        assertEquals("{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v7\"}",
                new String(r.key(), StandardCharsets.UTF_8));
        assertEquals(PG_GOLDEN, new String(r.value(), StandardCharsets.UTF_8));
        assertEquals("fleetshard.cdc.vehicles", r.topic());
        assertEquals(Math.floorMod(io.fleetshard.shardmap.FleetToken.of("t1", "f\"1"), 12), r.partition());
        assertEquals(1_700_000_000_500L, r.timestamp());
        assertEquals(1_700_000_000_500L, c.commitTsMs());
        assertEquals(Map.of("fleetshard.op", "u", "fleetshard.table", "vehicles", "fleetshard.tenant", "t1",
                "fleetshard.fleet", "f\"1", "fleetshard.shard", "s1", "fleetshard.position", "1/AB",
                "fleetshard.tx", "777", "fleetshard.commit.ts.ms", "1700000000500", "fleetshard.map.version", "42"),
                headers(r));
    }

    @Test
    void writesTheMariaDbEnvelopeByteForByteAndASnapshotReadWithoutTransaction() {
        Struct source = new Struct(MARIA_SOURCE).put("db", "shard2").put("table", "vehicles")
                .put("ts_ms", 1_700_000_000_000L).put("gtid", "0-1-42").put("file", "bin.000003").put("pos", 1234L)
                .put("row", 1);
        ChangeEnvelopeMapper.Change c = map(Engine.MARIADB, record(MARIA_SOURCE, source, "d", row("v8", true), null));
        assertEquals(MARIA_GOLDEN, new String(c.record().value(), StandardCharsets.UTF_8));
        assertEquals("0-1-42@bin.000003:1234#1", headers(c.record()).get("fleetshard.position"));

        Struct snap = new Struct(PG_SOURCE).put("db", "shard1").put("table", "vehicles").put("ts_ms", 1_700_000_000_500L);
        ChangeEnvelopeMapper.Change read = map(Engine.POSTGRES, record(PG_SOURCE, snap, "r", null, row("v9", false)));
        assertEquals(SNAPSHOT_GOLDEN, new String(read.record().value(), StandardCharsets.UTF_8));
        assertTrue(!headers(read.record()).containsKey("fleetshard.tx"));
    }

    @Test
    void sendsARowWithoutFleetOrAboveTheSizeLimitToTheDeadLetterTopic() {
        Struct source = new Struct(PG_SOURCE).put("db", "shard1").put("table", "vehicles")
                .put("ts_ms", 1_700_000_000_500L).put("txId", 777L).put("lsn", 16L);
        CaptureConfig small = CaptureConfig.builder("localhost:9092", "w1").set(CaptureConfig.Key.MAX_RECORD_BYTES, 1024).build();
        Struct big = row("v7", true).put("note", "x".repeat(2000));
        ChangeEnvelopeMapper.Outcome o = new ChangeEnvelopeMapper(small, "s1", Engine.POSTGRES, t -> 12)
                .map(record(PG_SOURCE, source, "c", null, big), 42, 1_700_000_001_000L);
        ChangeEnvelopeMapper.Rejected rej = assertInstanceOf(ChangeEnvelopeMapper.Rejected.class, o);
        assertTrue(rej.reason().contains("exceeds max.record.bytes=1024"), rej.reason());
        assertEquals(small.deadLetterTopic(), rej.deadLetter().topic());
        assertArrayEquals("{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v7\"}".getBytes(StandardCharsets.UTF_8),
                rej.deadLetter().key());
    }

    static final String PG_GOLDEN = "{\"version\":1,\"op\":\"u\",\"table\":\"vehicles\",\"tenant\":\"t1\",\"fleet\":\"f\\\"1\",\"shard\":\"s1\",\"key\":{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v7\"},\"before\":{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v7\",\"ts\":\"2023-11-14T22:13:20.123456Z\",\"zts\":null,\"day\":null,\"tod\":null,\"nts\":null,\"mts\":null,\"cts\":null,\"price\":null,\"lat\":null,\"speed\":null,\"count\":null,\"small\":null,\"ok\":null,\"blob\":null,\"tags\":null,\"note\":null},\"after\":{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v7\",\"ts\":\"2023-11-14T22:13:20.123456Z\",\"zts\":\"2023-11-14T22:13:20.123456Z\",\"day\":\"2023-11-14\",\"tod\":\"12:34:56.000001\",\"nts\":\"2023-11-14T22:13:20.123456789Z\",\"mts\":\"2023-11-14T22:13:20.123Z\",\"cts\":\"2023-11-14T22:13:20.123Z\",\"price\":\"12.50\",\"lat\":52.520008,\"speed\":88.5,\"count\":7,\"small\":-3,\"ok\":true,\"blob\":\"AAEC/w==\",\"tags\":[\"a\",\"b\u00e9\"],\"note\":\"line\\nbreak \u2603\"},\"source\":{\"engine\":\"postgres\",\"lsn\":\"1/AB\",\"lsnNumeric\":4294967467,\"db\":\"shard1\"},\"position\":\"1/AB\",\"txId\":\"777\",\"commitTsMs\":1700000000500,\"captureTsMs\":1700000001000,\"mapVersion\":42,\"snapshot\":false}";
    static final String MARIA_GOLDEN = "{\"version\":1,\"op\":\"d\",\"table\":\"vehicles\",\"tenant\":\"t1\",\"fleet\":\"f\\\"1\",\"shard\":\"s1\",\"key\":{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v8\"},\"before\":{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v8\",\"ts\":\"2023-11-14T22:13:20.123456Z\",\"zts\":\"2023-11-14T22:13:20.123456Z\",\"day\":\"2023-11-14\",\"tod\":\"12:34:56.000001\",\"nts\":\"2023-11-14T22:13:20.123456789Z\",\"mts\":\"2023-11-14T22:13:20.123Z\",\"cts\":\"2023-11-14T22:13:20.123Z\",\"price\":\"12.50\",\"lat\":52.520008,\"speed\":88.5,\"count\":7,\"small\":-3,\"ok\":true,\"blob\":\"AAEC/w==\",\"tags\":[\"a\",\"b\u00e9\"],\"note\":\"line\\nbreak \u2603\"},\"after\":null,\"source\":{\"engine\":\"mariadb\",\"gtid\":\"0-1-42\",\"file\":\"bin.000003\",\"pos\":1234,\"row\":1,\"db\":\"shard2\"},\"position\":\"0-1-42@bin.000003:1234#1\",\"txId\":\"0-1-42\",\"commitTsMs\":1700000000000,\"captureTsMs\":1700000001000,\"mapVersion\":42,\"snapshot\":false}";
    static final String SNAPSHOT_GOLDEN = "{\"version\":1,\"op\":\"r\",\"table\":\"vehicles\",\"tenant\":\"t1\",\"fleet\":\"f\\\"1\",\"shard\":\"s1\",\"key\":{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v9\"},\"before\":null,\"after\":{\"tenant_id\":\"t1\",\"fleet_id\":\"f\\\"1\",\"vehicle_id\":\"v9\",\"ts\":\"2023-11-14T22:13:20.123456Z\",\"zts\":null,\"day\":null,\"tod\":null,\"nts\":null,\"mts\":null,\"cts\":null,\"price\":null,\"lat\":null,\"speed\":null,\"count\":null,\"small\":null,\"ok\":null,\"blob\":null,\"tags\":null,\"note\":null},\"source\":{\"engine\":\"postgres\",\"lsn\":null,\"lsnNumeric\":null,\"db\":\"shard1\"},\"position\":\"\",\"txId\":null,\"commitTsMs\":1700000000500,\"captureTsMs\":1700000001000,\"mapVersion\":42,\"snapshot\":true}";
}
