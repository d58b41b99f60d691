package io.fleetshard.cdc;

/** Tells whether this module's replacement of Debezium's metrics event formatter is the one loaded (ADR 0021). */
final class DebeziumEventSummary {
    static final String FORMATTER_CLASS = "io.debezium.pipeline.source.spi.EventFormatter";

    private DebeziumEventSummary() {
    }

    static boolean cheapFormatterLoaded() {
        try {
            Class.forName(FORMATTER_CLASS, false, DebeziumEventSummary.class.getClassLoader())
                    .getDeclaredField("FLEETSHARD_FORMATTER");
            return true;
        } catch (ClassNotFoundException | NoSuchFieldException e) {
            return false;
        }
    }
}
