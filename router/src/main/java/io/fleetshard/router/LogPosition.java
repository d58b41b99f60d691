package io.fleetshard.router;

/** A position in a shard's replication log: a PostgreSQL LSN or a MariaDB GTID position. */
sealed interface LogPosition permits Lsn, GtidPosition {

    /** True when a node at this position has applied everything up to and including {@code other}. */
    boolean covers(LogPosition other);

    /** The text form, as the database prints it. */
    String text();
}
