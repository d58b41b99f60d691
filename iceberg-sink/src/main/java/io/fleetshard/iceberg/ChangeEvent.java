package io.fleetshard.iceberg;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One change of {@code docs/spec/change-events.md} as the sink needs it, with the Kafka position it was read from.
 *
 * @param key the primary key columns, in key order
 * @param before the row before the change (possibly key columns only), or null
 * @param after the row after the change; null for deletes
 */
record ChangeEvent(String topic, int partition, long offset, Op op, String table, String tenant, String fleet,
        String shard, String txId, long commitTsMs, ObjectNode key, ObjectNode before, ObjectNode after) {

    /** The {@code op} field of the envelope. */
    enum Op {
        CREATE("c"), UPDATE("u"), DELETE("d"), READ("r");

        private final String code;

        Op(String code) {
            this.code = code;
        }

        String code() {
            return code;
        }

        static Op of(String code) {
            for (Op op : values()) {
                if (op.code.equals(code)) {
                    return op;
                }
            }
            throw new IllegalArgumentException("op must be one of c, u, d, r, got '" + code + "'");
        }
    }

    ChangeEvent {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("a change event needs its primary key columns");
        }
        if (op != Op.DELETE && after == null) {
            throw new IllegalArgumentException("a '" + op.code + "' event needs an 'after' row");
        }
    }

    /** The row image the event leaves behind ({@code after}), or for a delete the last one known ({@code before}, else the key). */
    ObjectNode image() {
        if (after != null) {
            return after;
        }
        return before != null ? before : key;
    }

    /** {@code topic-partition@offset}, for messages. */
    String position() {
        return topic + "-" + partition + "@" + offset;
    }
}
