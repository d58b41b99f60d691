package io.fleetshard.cdc;

/**
 * Tells whether this module's replacements of Debezium 3.5.0 classes are the ones loaded: the metrics event formatter
 * (ADR 0021), the connectors' change event queue (ADR 0054) and the timestamp text of PostgreSQL's values and of every
 * zoned timestamp (ADR 0057). Each replacement declares a marker field that Debezium's class does not have.
 */
final class DebeziumShadows {
    static final String FORMATTER_CLASS = "io.debezium.pipeline.source.spi.EventFormatter";
    static final String QUEUE_CLASS = "io.debezium.connector.base.ChangeEventQueue";
    static final String ZONED_TIMESTAMP_CLASS = "io.debezium.time.ZonedTimestamp";
    static final String DATE_TIME_FORMAT_CLASS =
            "io.debezium.connector.postgresql.connection.DateTimeFormat$ISODateTimeFormat";

    private DebeziumShadows() {
    }

    static boolean cheapFormatterLoaded() {
        return loaded(FORMATTER_CLASS, "FLEETSHARD_FORMATTER");
    }

    static boolean spinFreeQueueLoaded() {
        return loaded(QUEUE_CLASS, "FLEETSHARD_QUEUE");
    }

    static boolean cheapTimeTextLoaded() {
        return loaded(ZONED_TIMESTAMP_CLASS, "FLEETSHARD_ZONED_TIMESTAMP")
                && loaded(DATE_TIME_FORMAT_CLASS, "FLEETSHARD_DATE_TIME_FORMAT");
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
