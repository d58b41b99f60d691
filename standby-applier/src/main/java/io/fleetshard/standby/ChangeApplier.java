package io.fleetshard.standby;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The standby's way of applying change events (ADR 0012), for other modules: the resharding delta sync of
 * {@code stream-processors} (ADR 0013) applies a shard log to a target shard exactly as a standby does. Upserts write
 * the {@code after} image by primary key (PostgreSQL {@code INSERT ... ON CONFLICT}, MariaDB/MySQL
 * {@code INSERT ... ON DUPLICATE KEY UPDATE}), deletes go by {@code key}; column types come from the target's own
 * catalog; consecutive changes of one table and kind are batched, in order. Image columns the target's table lacks are
 * skipped (reported through {@code unknownColumn}, once per column); a missing table or one without a primary key is a
 * {@link StandbyException}.
 *
 * <p>Not thread-safe: one per connection. The caller owns the connection and its transaction: call {@link #flush()}
 * before committing. Table shapes are cached for the life of this object; make a new one after a schema change or a
 * reconnect.
 */
public final class ChangeApplier implements AutoCloseable {
    private final ChangeWriter writer;

    /**
     * @param connection a connection opened by {@link #connect} (autocommit off, UTC session)
     * @param jdbcUrl the URL it was opened with: {@code jdbc:postgresql:}, {@code jdbc:mariadb:} or {@code jdbc:mysql:}
     * @param maxBatch most rows per JDBC batch
     * @param unknownColumn called once per image column that the target's table lacks
     */
    public ChangeApplier(Connection connection, String jdbcUrl, int maxBatch, Runnable unknownColumn) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
        }
        this.writer = new ChangeWriter(Objects.requireNonNull(connection, "connection"),
                new TableCatalog(Dialect.of(jdbcUrl)), maxBatch, Objects.requireNonNull(unknownColumn, "unknownColumn"));
    }

    /**
     * Opens a connection for applying: the driver's batching option, a UTC session, autocommit off. The URL carries
     * the credentials; the user must bypass row-level security (see the README).
     */
    public static Connection connect(String jdbcUrl) throws SQLException {
        return Dialect.of(jdbcUrl).connect(jdbcUrl, "", "");
    }

    /** True for a PostgreSQL URL, false for MariaDB/MySQL; any other URL is a {@link StandbyException}. */
    public static boolean isPostgres(String jdbcUrl) {
        return Dialect.of(jdbcUrl) == Dialect.POSTGRES;
    }

    /** Queues an upsert of {@code after} (an {@code c}, {@code u} or {@code r} event) into {@code table}. */
    public void upsert(long offset, String table, JsonNode after) throws SQLException {
        writer.apply(new ChangeEvent(offset, 'u', table, null, requireObject(after, "after", offset), "", 0));
    }

    /** Queues a delete by {@code key} (a {@code d} event) from {@code table}. */
    public void delete(long offset, String table, JsonNode key) throws SQLException {
        writer.apply(new ChangeEvent(offset, 'd', table, requireObject(key, "key", offset), null, "", 0));
    }

    /** Executes what is queued; the transaction stays open. */
    public void flush() throws SQLException {
        writer.flush();
    }

    /** Rows written so far (upserts after superseding within a batch, plus deletes). */
    public long rows() {
        return writer.rows();
    }

    /** Closes the cached statements; the connection stays open. */
    @Override
    public void close() {
        writer.close();
    }

    private static JsonNode requireObject(JsonNode n, String what, long offset) {
        if (n == null || !n.isObject()) {
            throw new StandbyException("the change at offset " + offset + " has no '" + what + "' object to apply");
        }
        return n;
    }
}
