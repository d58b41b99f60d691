package io.fleetshard.cdc;

/**
 * Tells whether this module's replacements of Debezium 3.5.0 classes are the ones loaded: the metrics event formatter
 * (ADR 0021) and the connectors' change event queue (ADR 0054). Each replacement declares a marker field that
 * Debezium's class does not have.
 */
final class DebeziumShadows {
    static final String FORMATTER_CLASS = "io.debezium.pipeline.source.spi.EventFormatter";
    static final String QUEUE_CLASS = "io.debezium.connector.base.ChangeEventQueue";

    private DebeziumShadows() {
    }

    static boolean cheapFormatterLoaded() {
        return loaded(FORMATTER_CLASS, "FLEETSHARD_FORMATTER");
    }

    static boolean spinFreeQueueLoaded() {
        return loaded(QUEUE_CLASS, "FLEETSHARD_QUEUE");
    }

    private static boolean loaded(String className, String marker) {
        try {
            Class.forName(className, false, DebeziumShadows.class.getClassLoader()).getDeclaredField(marker);
            return true;
        } catch (ClassNotFoundException | NoSuchFieldException e) {
            return false;
        }
    }
}
