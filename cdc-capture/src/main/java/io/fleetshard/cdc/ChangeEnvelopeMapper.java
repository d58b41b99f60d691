package io.fleetshard.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    private static final java.util.Set<String> ROW_OPS = java.util.Set.of("c", "u", "d", "r");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** What became of one Debezium record. */
    sealed interface Outcome permits Change, Rejected, NotAChange {
    }

    /** A row change, ready to send. */
    record Change(ProducerRecord<byte[], byte[]> record, String table, long commitTsMs) implements Outcome {
    }

    /** A row change that cannot be published as is (reason says why); goes to the dead-letter topic. */
    record Rejected(String table, String reason, ProducerRecord<byte[], byte[]> deadLetter) implements Outcome {
    }

    /** A heartbeat, logical message or other non-row record: nothing to publish, only its offset counts. */
    record NotAChange() implements Outcome {
    }

    /** Gives the partition count of a change topic. */
    interface PartitionCounts {
        int partitionsOf(String topic);
    }

    private final CaptureConfig config;
    private final String shardId;
    private final Engine engine;
    private final PartitionCounts partitions;

    ChangeEnvelopeMapper(CaptureConfig config, String shardId, Engine engine, PartitionCounts partitions) {
        this.config = config;
        this.shardId = shardId;
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
            return new NotAChange();
        }
        Struct before = value.schema().field("before") != null ? value.getStruct("before") : null;
        Struct after = value.schema().field("after") != null ? value.getStruct("after") : null;
        Struct row = after != null ? after : before;
        Long commitTs = source.getInt64("ts_ms");
        long commitTsMs = commitTs == null ? nowMs : commitTs;
        Position position = position(source);
        ObjectNode key = record.key() instanceof Struct k ? toJson(k) : NODES.objectNode();

        String tenant = textField(row, "tenant_id");
        String fleet = textField(row, "fleet_id");
        if (tenant == null || fleet == null) {
            return reject(table, key, position, commitTsMs, mapVersion, nowMs,
                    "row has no tenant_id/fleet_id (every sharded table must carry both)");
        }

        ObjectNode env = NODES.objectNode();
        env.put("version", ENVELOPE_VERSION);
        env.put("op", op);
        env.put("table", table);
        env.put("tenant", tenant);
        env.put("fleet", fleet);
        env.put("shard", shardId);
        env.set("key", key);
        env.set("before", before == null ? NODES.nullNode() : toJson(before));
        env.set("after", after == null ? NODES.nullNode() : toJson(after));
        env.set("source", position.json());
        env.put("position", position.text());
        if (position.txId() == null) {
            env.putNull("txId");
        } else {
            env.put("txId", position.txId());
        }
        env.put("commitTsMs", commitTsMs);
        env.put("captureTsMs", nowMs);
        env.put("mapVersion", mapVersion);
        env.put("snapshot", "r".equals(op));

        byte[] keyBytes = bytes(key);
        byte[] valueBytes = bytes(env);
        if (valueBytes.length + keyBytes.length > config.maxRecordBytes()) {
            return reject(table, key, position, commitTsMs, mapVersion, nowMs, "change event of " + (valueBytes.length
                    + keyBytes.length) + " bytes exceeds max.record.bytes=" + config.maxRecordBytes());
        }
        String topic = config.changeTopic(table);
        int partition = Math.floorMod(FleetToken.of(tenant, fleet), partitions.partitionsOf(topic));
        RecordHeaders headers = headers(op, table, tenant, fleet, position, commitTsMs, mapVersion);
        return new Change(new ProducerRecord<>(topic, partition, commitTsMs, keyBytes, valueBytes, headers), table, commitTsMs);
    }

    /** A record that could not even be read as a change (malformed): reported with its topic and offset only. */
    Rejected unmappable(SourceRecord record, RuntimeException error, long mapVersion, long nowMs) {
        ObjectNode dl = NODES.objectNode();
        dl.put("reason", "cannot map change record: " + error);
        dl.put("shard", shardId);
        dl.put("debeziumTopic", record.topic());
        dl.put("sourceOffset", String.valueOf(record.sourceOffset()));
        dl.put("captureTsMs", nowMs);
        dl.put("mapVersion", mapVersion);
        RecordHeaders headers = new RecordHeaders();
        headers.add(H_SHARD, utf8(shardId));
        return new Rejected(record.topic(), "cannot map change record: " + error,
                new ProducerRecord<>(config.deadLetterTopic(), (Integer) null, (byte[]) null, bytes(dl), headers));
    }

    private Rejected reject(String table, ObjectNode key, Position position, long commitTsMs, long mapVersion, long nowMs,
                            String reason) {
        ObjectNode dl = NODES.objectNode();
        dl.put("reason", reason);
        dl.put("table", table);
        dl.put("shard", shardId);
        dl.set("key", key);
        dl.set("source", position.json());
        dl.put("position", position.text());
        dl.put("commitTsMs", commitTsMs);
        dl.put("captureTsMs", nowMs);
        dl.put("mapVersion", mapVersion);
        byte[] keyBytes = bytes(key);
        RecordHeaders headers = headers("", table, "", "", position, commitTsMs, mapVersion);
        return new Rejected(table, reason, new ProducerRecord<>(config.deadLetterTopic(), (Integer) null, keyBytes, bytes(dl), headers));
    }

    private RecordHeaders headers(String op, String table, String tenant, String fleet, Position position, long commitTsMs,
                                  long mapVersion) {
        RecordHeaders h = new RecordHeaders();
        h.add(H_OP, utf8(op));
        h.add(H_TABLE, utf8(table));
        h.add(H_TENANT, utf8(tenant));
        h.add(H_FLEET, utf8(fleet));
        h.add(H_SHARD, utf8(shardId));
        h.add(H_POSITION, utf8(position.text()));
        if (position.txId() != null) {
            h.add(H_TX, utf8(position.txId()));
        }
        h.add(H_COMMIT_TS, utf8(Long.toString(commitTsMs)));
        h.add(H_MAP_VERSION, utf8(Long.toString(mapVersion)));
        return h;
    }

    /** Where a change sits in its shard's log. */
    record Position(String text, String txId, ObjectNode json) {
    }

    private Position position(Struct source) {
        ObjectNode json = NODES.objectNode();
        json.put("engine", engine.wireName());
        if (engine == Engine.POSTGRES) {
            Long lsn = optionalLong(source, "lsn");
            Long txId = optionalLong(source, "txId");
            json.put("lsn", lsn == null ? null : formatLsn(lsn));
            json.put("lsnNumeric", lsn);
            json.put("db", source.getString("db"));
            String text = lsn == null ? "" : formatLsn(lsn);
            return new Position(text, txId == null ? null : Long.toString(txId), json);
        }
        String gtid = optionalString(source, "gtid");
        String file = optionalString(source, "file");
        Long pos = optionalLong(source, "pos");
        Integer row = source.schema().field("row") != null ? source.getInt32("row") : null;
        json.put("gtid", gtid);
        json.put("file", file);
        json.put("pos", pos);
        json.put("row", row);
        json.put("db", source.getString("db"));
        String text = (gtid == null ? "" : gtid) + "@" + file + ":" + pos + "#" + (row == null ? 0 : row);
        return new Position(text, gtid, json);
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

    static ObjectNode toJson(Struct struct) {
        ObjectNode n = NODES.objectNode();
        for (Field f : struct.schema().fields()) {
            n.set(f.name(), toJson(f.schema(), struct.get(f)));
        }
        return n;
    }

    private static JsonNode toJson(Schema schema, Object v) {
        if (v == null) {
            return NODES.nullNode();
        }
        String logical = schema.name();
        if (logical != null) {
            switch (logical) {
                case "io.debezium.time.MicroTimestamp":
                    return NODES.textNode(Instant.EPOCH.plusNanos((Long) v * 1000).toString());
                case "io.debezium.time.NanoTimestamp":
                    return NODES.textNode(Instant.EPOCH.plusNanos((Long) v).toString());
                case "io.debezium.time.Timestamp":
                    return NODES.textNode(Instant.ofEpochMilli((Long) v).toString());
                case "io.debezium.time.Date":
                    return NODES.textNode(LocalDate.ofEpochDay((Integer) v).toString());
                case "io.debezium.time.MicroTime":
                    return NODES.textNode(LocalTime.ofNanoOfDay((Long) v * 1000).toString());
                case "org.apache.kafka.connect.data.Timestamp":
                    return NODES.textNode(((java.util.Date) v).toInstant().toString());
                case "org.apache.kafka.connect.data.Decimal":
                    return NODES.textNode(((BigDecimal) v).toPlainString());
                default:
                    break;
            }
        }
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64 -> NODES.numberNode(((Number) v).longValue());
            case FLOAT32, FLOAT64 -> NODES.numberNode(((Number) v).doubleValue());
            case BOOLEAN -> NODES.booleanNode((Boolean) v);
            case STRING -> NODES.textNode((String) v);
            case BYTES -> NODES.textNode(Base64.getEncoder().encodeToString(v instanceof ByteBuffer b
                    ? toArray(b) : (byte[]) v));
            case STRUCT -> toJson((Struct) v);
            case ARRAY -> {
                var arr = NODES.arrayNode();
                for (Object o : (List<?>) v) {
                    arr.add(toJson(schema.valueSchema(), o));
                }
                yield arr;
            }
            case MAP -> NODES.textNode(v.toString());
        };
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new CaptureException("cannot encode change event: " + e.getMessage(), e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
