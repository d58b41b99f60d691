package io.debezium.pipeline.source.spi;

import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * FleetShard's replacement for Debezium 3.5.0's class of the same name (ADR 0021), which this module shadows on the
 * class path. Debezium's streaming metrics build a summary of every change event for the JMX {@code LastEvent}
 * attribute through this class; 3.5.0's version renders each key with a new Jackson {@code ObjectMapper}, which a
 * profile of the PostgreSQL capture put at 30 % of the connector's single streaming thread. This version writes the
 * same facts (operation, source position, key) with a {@link StringBuilder} only. It must keep the API
 * {@link EventMetadataProvider#toSummaryString} calls: a no-argument constructor and the three fluent setters.
 * {@code CaptureWorker} logs at start whether this class or Debezium's is in effect.
 */
class EventFormatter {
    /** What {@code CaptureWorker} looks for to tell that this formatter, not Debezium's, is loaded. */
    static final String FLEETSHARD_FORMATTER = "fleetshard";

    private Map<String, String> sourcePosition;
    private Object key;
    private Struct value;

    EventFormatter() {
    }

    public EventFormatter sourcePosition(Map<String, String> position) {
        this.sourcePosition = position;
        return this;
    }

    public EventFormatter key(Object eventKey) {
        this.key = eventKey;
        return this;
    }

    public EventFormatter value(Struct eventValue) {
        this.value = eventValue;
        return this;
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder(128);
        if (value != null && value.schema().field("op") != null && value.get("op") != null) {
            out.append("operation: ").append(value.get("op"));
        }
        if (sourcePosition != null) {
            separate(out).append("position: {");
            int before = out.length();
            sourcePosition.forEach((k, v) -> {
                if (out.length() > before) {
                    out.append(", ");
                }
                out.append(k).append('=').append(v);
            });
            out.append('}');
        }
        if (key instanceof Struct s) {
            separate(out).append("key: {");
            boolean first = true;
            for (Field f : s.schema().fields()) {
                if (!first) {
                    out.append(", ");
                }
                first = false;
                out.append(f.name()).append('=').append(s.get(f));
            }
            out.append('}');
        } else if (key != null) {
            separate(out).append("key: ").append(key);
        }
        return out.toString();
    }

    private static StringBuilder separate(StringBuilder out) {
        return out.length() == 0 ? out : out.append(", ");
    }
}
