package io.fleetshard.cdc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.FleetToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns one Debezium change record into the change-topic record of {@code docs/spec/change-events.md}: key = the row's
 * primary key as JSON, partition = {@code floorMod(FleetToken.of(tenant, fleet), partitions)}, value = the envelope,
 * headers = the same identifiers.
 */
final class ChangeEnvelopeMapper {
    static final int ENVELOPE_VERSION = 1;
    static final String H_OP = "fleetshard.op";
    static final String H_TABLE = "fleetshard.table";
    static final String H_TENANT = "fleetshard.tenant";
    static final String H_FLEET = "fleetshard.fleet";
    static final String H_SHARD = "fleetshard.shard";
    static final String H_POSITION = "fleetshard.position";
    static final String H_TX = "fleetshard.tx";
    static final String H_COMMIT_TS = "fleetshard.commit.ts.ms";
    static final String H_MAP_VERSION = "fleetshard.map.version";
    /** {@code reshard} on the shard-log records of a resharder's transaction (ADR 0013). */
    static final String H_ORIGIN = "fleetshard.origin";
    /** The marker's kind ({@code copy}, {@code apply}, {@code cleanup}, {@code fence}, {@code rollback}). */
    static final String H_MARKER = "fleetshard.marker";
    static final String ORIGIN_RESHARD = "reshard";
    /**
     * {@code fleetshard.origin} (header and envelope field {@code origin}) of the changes of an offload transaction
     * (ADR 0023): cold rows deleted from the shard once an Iceberg snapshot holds them. Unlike a resharder's, such a
     * transaction reaches the change topics too: it is a real change of the shard, but not a user's delete.
     */
    static final String ORIGIN_OFFLOAD = "offload";
    /** The marker kind that starts an offload transaction. */
    static final String MARKER_OFFLOAD = "offload";

    private static final java.util.Set<String> ROW_OPS = java.util.Set.of("c", "u", "d", "r");
    private static final JsonFactory FACTORY = new JsonFactory();

    /** What became of one Debezium record. */
    sealed interface Outcome permits Change, Rejected, NotAChange, Heartbeat {
    }

    /**
     * A row change, ready to send. {@code txId} is the source transaction (null for snapshot reads);
     * {@code markerKind} is non-null for a change of the resharder's marker table, which is not a row of any tenant.
     */
    record Change(ProducerRecord<byte[], byte[]> record, String table, long commitTsMs, String txId, String markerKind)
            implements Outcome {
        boolean isMarker() {
            return markerKind != null;
        }
    }

    /** A row change that cannot be published as is (reason says why); goes to the dead-letter topic. */
    record Rejected(String table, String reason, ProducerRecord<byte[], byte[]> deadLetter) implements Outcome {
    }

    /** A heartbeat, logical message or other non-row record: nothing to publish, only its offset counts. */
    record NotAChange() implements Outcome {
    }

    /**
     * A streamed change of the heartbeat table: every change committed on the shard before it precedes it in the
     * source's commit order, so it becomes capture's watermark on the shard log (ADR 0048). Never a change-topic record.
     */
    record Heartbeat(String position, long commitTsMs) implements Outcome {
    }

    /** Gives the partition count of a change topic. */
    interface PartitionCounts {
        int partitionsOf(String topic);
    }

    private final CaptureConfig config;
    private final String shardId;
    private final Engine engine;
    private final PartitionCounts partitions;
    private final byte[] shardIdBytes;

    ChangeEnvelopeMapper(CaptureConfig config, String shardId, Engine engine, PartitionCounts partitions) {
        this.config = config;
        this.shardId = shardId;
        this.shardIdBytes = utf8(shardId);
        this.engine = engine;
        this.partitions = partitions;
    }

    Outcome map(SourceRecord record, long mapVersion, long nowMs) {
        if (!(record.value() instanceof Struct value) || value.schema().field("op") == null
                || value.schema().field("source") == null) {
            return new NotAChange();
        }
        String op = value.getString("op");
        if (!ROW_OPS.contains(op) || value.schema().field("after") == null) {
            return new NotAChange(); // logical messages (heartbeats), truncates, transaction markers
        }
        Struct source = value.getStruct("source");
        String table = source.getString("table");
        if (ConnectorSettings.HEARTBEAT_TABLE.equals(table)) {
            // A snapshot read of the table says nothing about what was captured before it; streamed changes do.
            Long ts = source.getInt64("ts_ms");
            return "r".equals(op) || ts == null ? new NotAChange() : new Heartbeat(position(source).text(), ts);
        }
        Struct before = value.schema().field("before") != null ? value.getStruct("before") : null;
        Struct after = value.getStruct("after");
        Struct row = after != null ? after : before;
        Long commitTs = source.getInt64("ts_ms");
        long commitTsMs = commitTs == null ? nowMs : commitTs;
        Position position = position(source);
        Struct key = record.key() instanceof Struct k ? k : null;

        boolean marker = ConnectorSettings.RESHARD_TX_TABLE.equals(table);
        String markerKind = marker ? String.valueOf(textField(row, "kind")) : null;
        String tenant = marker ? "" : textField(row, "tenant_id");
        String fleet = marker ? "" : textField(row, "fleet_id");
        if (tenant == null || fleet == null) {
            return reject(table, key, position, commitTsMs, mapVersion, nowMs,
                    "row has no tenant_id/fleet_id (every sharded table must carry both)");
        }

        // Streamed straight to bytes: a JsonNode tree per event, serialized afterwards, was the worker's largest own
        // cost per event (CaptureLatencyBench profile). ChangeEnvelopeMapperTest pins the exact bytes.
        byte[] keyBytes = keyBytes(key);
        byte[] valueBytes = json(g -> {
            g.writeStartObject();
            g.writeNumberField("version", ENVELOPE_VERSION);
            g.writeStringField("op", op);
            g.writeStringField("table", table);
            g.writeStringField("tenant", tenant);
            g.writeStringField("fleet", fleet);
            g.writeStringField("shard", shardId);
            g.writeFieldName("key");
            writeStruct(g, key);
            g.writeFieldName("before");
            writeStruct(g, before);
            g.writeFieldName("after");
            writeStruct(g, after);
            g.writeFieldName("source");
            position.writeSource(g);
            g.writeStringField("position", position.text());
            g.writeStringField("txId", position.txId());
            g.writeNumberField("commitTsMs", commitTsMs);
            g.writeNumberField("captureTsMs", nowMs);
            g.writeNumberField("mapVersion", mapVersion);
            g.writeBooleanField("snapshot", "r".equals(op));
            g.writeEndObject();
        });
        if (valueBytes.length + keyBytes.length > config.maxRecordBytes()) {
            return reject(table, key, position, commitTsMs, mapVersion, nowMs, "change event of " + (valueBytes.length
                    + keyBytes.length) + " bytes exceeds max.record.bytes=" + config.maxRecordBytes());
        }
        // a marker belongs to no fleet and never reaches a change topic: only the shard log (one partition) gets it
        String topic = marker ? config.shardLogTopic(shardId) : config.changeTopic(table);
        int partition = marker ? 0 : Math.floorMod(FleetToken.of(tenant, fleet), partitions.partitionsOf(topic));
        RecordHeaders headers = headers(op, table, tenant, fleet, position, commitTsMs, mapVersion);
        return new Change(new ProducerRecord<>(topic, partition, commitTsMs, keyBytes, valueBytes, headers), table, commitTsMs,
                position.txId(), markerKind);
    }

    /** A record that could not even be read as a change (malformed): reported with its topic and offset only. */
    Rejected unmappable(SourceRecord record, RuntimeException error, long mapVersion, long nowMs) {
        String reason = "cannot map change record: " + error;
        byte[] deadLetter = json(g -> {
            g.writeStartObject();
            g.writeStringField("reason", reason);
            g.writeStringField("shard", shardId);
            g.writeStringField("debeziumTopic", record.topic());
            g.writeStringField("sourceOffset", String.valueOf(record.sourceOffset()));
            g.writeNumberField("captureTsMs", nowMs);
            g.writeNumberField("mapVersion", mapVersion);
            g.writeEndObject();
        });
        RecordHeaders headers = new RecordHeaders();
        headers.add(H_SHARD, utf8(shardId));
        return new Rejected(record.topic(), reason,
                new ProducerRecord<>(config.deadLetterTopic(), (Integer) null, (byte[]) null, deadLetter, headers));
    }

    private Rejected reject(String table, Struct key, Position position, long commitTsMs, long mapVersion, long nowMs,
                            String reason) {
        byte[] deadLetter = json(g -> {
            g.writeStartObject();
            g.writeStringField("reason", reason);
            g.writeStringField("table", table);
            g.writeStringField("shard", shardId);
            g.writeFieldName("key");
            writeKey(g, key);
            g.writeFieldName("source");
            position.writeSource(g);
            g.writeStringField("position", position.text());
            g.writeNumberField("commitTsMs", commitTsMs);
            g.writeNumberField("captureTsMs", nowMs);
            g.writeNumberField("mapVersion", mapVersion);
            g.writeEndObject();
        });
        RecordHeaders headers = headers("", table, "", "", position, commitTsMs, mapVersion);
        return new Rejected(table, reason, new ProducerRecord<>(config.deadLetterTopic(), (Integer) null, keyBytes(key),
                deadLetter, headers));
    }

    private RecordHeaders headers(String op, String table, String tenant, String fleet, Position position, long commitTsMs,
                                  long mapVersion) {
        RecordHeaders h = new RecordHeaders();
        h.add(H_OP, utf8(op));
        h.add(H_TABLE, utf8(table));
        h.add(H_TENANT, utf8(tenant));
        h.add(H_FLEET, utf8(fleet));
        h.add(H_SHARD, shardIdBytes);
        h.add(H_POSITION, utf8(position.text()));
        if (position.txId() != null) {
            h.add(H_TX, utf8(position.txId()));
        }
        h.add(H_COMMIT_TS, utf8(Long.toString(commitTsMs)));
        h.add(H_MAP_VERSION, utf8(Long.toString(mapVersion)));
        return h;
    }

    /**
     * Where a change sits in its shard's log, and the envelope's {@code source} object: PostgreSQL fills lsn/lsnNumeric,
     * MySQL/MariaDB gtid/file/pos/row.
     */
    record Position(String text, String txId, Engine engine, Long lsn, String gtid, String file, Long pos, Integer row,
                    String db) {
        void writeSource(JsonGenerator g) throws IOException {
            g.writeStartObject();
            g.writeStringField("engine", engine.wireName());
            if (engine == Engine.POSTGRES) {
                g.writeStringField("lsn", lsn == null ? null : formatLsn(lsn));
                writeNumberOrNull(g, "lsnNumeric", lsn);
            } else {
                g.writeStringField("gtid", gtid);
                g.writeStringField("file", file);
                writeNumberOrNull(g, "pos", pos);
                writeNumberOrNull(g, "row", row == null ? null : row.longValue());
            }
            g.writeStringField("db", db);
            g.writeEndObject();
        }

        private static void writeNumberOrNull(JsonGenerator g, String field, Long v) throws IOException {
            g.writeFieldName(field);
            if (v == null) {
                g.writeNull();
            } else {
                g.writeNumber(v.longValue());
            }
        }
    }

    private Position position(Struct source) {
        String db = source.getString("db");
        if (engine == Engine.POSTGRES) {
            Long lsn = optionalLong(source, "lsn");
            Long txId = optionalLong(source, "txId");
            String text = lsn == null ? "" : formatLsn(lsn);
            return new Position(text, txId == null ? null : Long.toString(txId), engine, lsn, null, null, null, null, db);
        }
        String gtid = optionalString(source, "gtid");
        String file = optionalString(source, "file");
        Long pos = optionalLong(source, "pos");
        Integer row = source.schema().field("row") != null ? source.getInt32("row") : null;
        String text = (gtid == null ? "" : gtid) + "@" + file + ":" + pos + "#" + (row == null ? 0 : row);
        return new Position(text, gtid, engine, null, gtid, file, pos, row, db);
    }

    static String formatLsn(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }

    private static Long optionalLong(Struct s, String field) {
        if (s.schema().field(field) == null) {
            return null;
        }
        Object v = s.get(field);
        return v instanceof Number n ? n.longValue() : null;
    }

    private static String optionalString(Struct s, String field) {
        return s.schema().field(field) == null ? null : s.getString(field);
    }

    private static String textField(Struct row, String field) {
        if (row == null || row.schema().field(field) == null) {
            return null;
        }
        Object v = row.get(field);
        return v == null ? null : v.toString();
    }

    /** One JSON document written by {@code body} into a fresh byte array. */
    private static byte[] json(JsonBody body) {
        ByteArrayBuilder out = new ByteArrayBuilder(512);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new CaptureException("cannot encode change event: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private interface JsonBody {
        void write(JsonGenerator g) throws IOException;
    }

    /** The record key: the primary key columns as a JSON object ({@code {}} for a table without one). */
    private static byte[] keyBytes(Struct key) {
        return json(g -> writeKey(g, key));
    }

    private static void writeKey(JsonGenerator g, Struct key) throws IOException {
        if (key == null) {
            g.writeStartObject();
            g.writeEndObject();
        } else {
            writeStruct(g, key);
        }
    }

    /** A row image (or key) as a JSON object, columns in schema order; null as JSON null. */
    static void writeStruct(JsonGenerator g, Struct struct) throws IOException {
        if (struct == null) {
            g.writeNull();
            return;
        }
        g.writeStartObject();
        for (Field f : struct.schema().fields()) {
            g.writeFieldName(f.name());
            writeValue(g, f.schema(), struct.get(f));
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, Schema schema, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
            return;
        }
        String logical = schema.name();
        if (logical != null) {
            String text = logicalText(logical, v);
            if (text != null) {
                g.writeString(text);
                return;
            }
        }
        switch (schema.type()) {
            case INT8, INT16, INT32, INT64 -> g.writeNumber(((Number) v).longValue());
            case FLOAT32, FLOAT64 -> g.writeNumber(((Number) v).doubleValue());
            case BOOLEAN -> g.writeBoolean((Boolean) v);
            case STRING -> g.writeString((String) v);
            case BYTES -> g.writeString(Base64.getEncoder().encodeToString(v instanceof ByteBuffer b ? toArray(b) : (byte[]) v));
            case STRUCT -> writeStruct(g, (Struct) v);
            case ARRAY -> {
                g.writeStartArray();
                for (Object o : (List<?>) v) {
                    writeValue(g, schema.valueSchema(), o);
                }
                g.writeEndArray();
            }
            case MAP -> g.writeString(v.toString());
            default -> throw new CaptureException("unsupported column type " + schema.type());
        }
    }

    /** Debezium/Connect logical types written as ISO-8601 or exact decimal strings; null for other types. */
    private static String logicalText(String logical, Object v) {
        return switch (logical) {
            case "io.debezium.time.MicroTimestamp" -> Instant.EPOCH.plusNanos((Long) v * 1000).toString();
            case "io.debezium.time.NanoTimestamp" -> Instant.EPOCH.plusNanos((Long) v).toString();
            case "io.debezium.time.Timestamp" -> Instant.ofEpochMilli((Long) v).toString();
            case "io.debezium.time.Date" -> LocalDate.ofEpochDay((Integer) v).toString();
            case "io.debezium.time.MicroTime" -> LocalTime.ofNanoOfDay((Long) v * 1000).toString();
            case "org.apache.kafka.connect.data.Timestamp" -> ((java.util.Date) v).toInstant().toString();
            case "org.apache.kafka.connect.data.Decimal" -> ((BigDecimal) v).toPlainString();
            default -> null;
        };
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
