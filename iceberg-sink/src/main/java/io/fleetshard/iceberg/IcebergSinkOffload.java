package io.fleetshard.iceberg;

import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Offload of cold rows (ADR 0023): deletes from the shards only rows that the Iceberg table's current snapshot already
 * holds, verified per fleet and day bucket by count and checksum over {@link OffloadRowForm}'s canonical row form
 * (the shard's database computes its side, PostgreSQL or MariaDB, and Iceberg's generic reader the table's). A bucket that does not verify is
 * skipped and reported, never deleted. Deletes run in batches, each one shard transaction that starts with the
 * {@code offload} marker, so capture publishes them marked {@code origin=offload} and the sink keeps the rows. Each
 * delete names the row's key <em>and</em> the hash of the content Iceberg holds: a row changed since verification
 * does not match and stays. A rerun after a kill starts over and finds fewer rows; nothing is deleted twice.
 */
public final class IcebergSinkOffload {
    /** Header of change records whose transaction is tagged (docs/spec/change-events.md). */
    public static final String ORIGIN_HEADER = "fleetshard.origin";
    /** {@link #ORIGIN_HEADER} value (and envelope field {@code origin}) of an offload's deletes. */
    public static final String ORIGIN_OFFLOAD = "offload";
    /** The marker table capture tags transactions by (shared with the resharder, ADR 0013). */
    static final String MARKER_TABLE = "fleetshard_reshard_tx";
    /** The marker row of offload transactions: one slot, so concurrent offloads of a shard serialize on it. */
    static final int MARKER_SLOT = 3000;
    static final String MARKER_DDL = "CREATE TABLE IF NOT EXISTS public." + MARKER_TABLE
            + " (slot integer PRIMARY KEY, job_id text NOT NULL, kind text NOT NULL, seq bigint NOT NULL)";
    /** The marker table on MariaDB/MySQL shards, in the shard's database (as capture and the resharder create it). */
    static final String MARKER_DDL_MARIADB = "CREATE TABLE IF NOT EXISTS " + MARKER_TABLE
            + " (slot INT PRIMARY KEY, job_id VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, seq BIGINT NOT NULL)";
    private static final String MARKER_UPSERT = "INSERT INTO public." + MARKER_TABLE + " (slot, job_id, kind, seq)"
            + " VALUES (?, ?, 'offload', 1) ON CONFLICT (slot) DO UPDATE SET job_id = EXCLUDED.job_id,"
            + " kind = EXCLUDED.kind, seq = " + MARKER_TABLE + ".seq + 1";
    private static final String MARKER_UPSERT_MARIADB = "INSERT INTO " + MARKER_TABLE + " (slot, job_id, kind, seq)"
            + " VALUES (?, ?, 'offload', 1) ON DUPLICATE KEY UPDATE job_id = VALUES(job_id), kind = VALUES(kind),"
            + " seq = seq + 1";
    private static final long PROGRESS_EVERY_MS = 1_000;

    /**
     * One shard primary to offload from: its id (for reports) and JDBC URL (PostgreSQL, MariaDB or MySQL; credentials
     * in the URL; on MariaDB the URL names the shard's database).
     */
    public record Shard(String id, String jdbcUrl) {
        public Shard {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (OffloadRowForm.Dialect.of(jdbcUrl).isEmpty()) {
                throw new IllegalArgumentException("shard " + id + ": offload supports PostgreSQL and MariaDB/MySQL"
                        + " shards (jdbc:postgresql:, jdbc:mariadb:, jdbc:mysql:), got " + redact(jdbcUrl));
            }
        }

        OffloadRowForm.Dialect dialect() {
            return OffloadRowForm.Dialect.of(jdbcUrl).orElseThrow();
        }
    }

    /**
     * What to offload.
     *
     * @param olderThan rows whose time column is before this instant are candidates
     * @param batchSize most rows per delete transaction
     * @param maxRowsPerSecond throttle of the deletes; 0 = unthrottled
     */
    public record Request(String table, Instant olderThan, boolean dryRun, int batchSize, double maxRowsPerSecond) {
        public Request {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(olderThan, "olderThan");
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
            if (maxRowsPerSecond < 0) {
                throw new IllegalArgumentException("rate must be 0 (unthrottled) or positive, got " + maxRowsPerSecond);
            }
        }
    }

    /**
     * The outcome of one fleet-day bucket of one shard.
     *
     * @param verdict {@code verified} (every shard row is in the snapshot with the same content), {@code failed}
     *                (skipped: {@code reason} says why)
     * @param shardRows the bucket's rows on the shard at verification; {@code icebergRows} the snapshot's
     * @param deleted rows deleted (0 in a dry run); {@code kept} verified rows the delete left because they changed
     */
    public record Bucket(String shard, String tenant, String fleet, LocalDate day, long shardRows, String shardChecksum,
            long icebergRows, String icebergChecksum, String verdict, String reason, long deleted, long kept) {
        public boolean verified() {
            return "verified".equals(verdict);
        }
    }

    /** The whole run: buckets, totals, and whether every bucket verified ({@link #ok()}). */
    public record Report(String table, Instant olderThan, boolean dryRun, long snapshotId, List<Bucket> buckets,
            long candidateRows, long verifiedRows, long deletedRows, int failedBuckets, double seconds) {
        public Report {
            buckets = List.copyOf(buckets);
        }

        public boolean ok() {
            return failedBuckets == 0;
        }

        public double rowsPerSecond() {
            return seconds <= 0 ? 0 : deletedRows / seconds;
        }
    }

    private final Catalog catalog;
    private final org.apache.iceberg.catalog.Namespace namespace;
    private final List<Shard> shards;
    private final Consumer<String> progress;
    private final Clock clock;
    /** Runs between a bucket's verification and its deletes (tests: a row changes in that window). */
    private Consumer<Bucket> beforeDelete = b -> { };

    /**
     * @param progress receives human-readable progress lines (buckets failing, rows deleted / total, rate, ETA)
     */
    public IcebergSinkOffload(Catalog catalog, String namespace, List<Shard> shards, Consumer<String> progress,
                              Clock clock) {
        this.catalog = catalog;
        this.shards = List.copyOf(shards);
        this.progress = progress;
        this.clock = clock;
        this.namespace = org.apache.iceberg.catalog.Namespace.of(namespace);
    }

    /** A test seam: {@code hook} runs after each bucket verified and before its rows are deleted. */
    void beforeDelete(Consumer<Bucket> hook) {
        this.beforeDelete = hook;
    }

    /** Runs {@code request} against the table's current snapshot; never throws for a bucket that fails to verify. */
    public Report run(Request request) {
        long t0 = clock.millis();
        Table table = catalog.loadTable(TableIdentifier.of(namespace, request.table()));
        table.refresh();
        Snapshot snapshot = table.currentSnapshot();
        if (snapshot == null) {
            throw new IcebergSinkException("table " + table.name() + " has no snapshot yet: nothing can be verified;"
                    + " let the sink commit first");
        }
        OffloadRowForm form = new OffloadRowForm(table.schema());
        String timeColumn = dayColumn(table);
        Run run = new Run(request, table, snapshot.snapshotId(), form, timeColumn, t0);
        for (Shard shard : shards) {
            run.shard(shard);
        }
        double seconds = (clock.millis() - t0) / 1000.0;
        run.line(true);
        return new Report(request.table(), request.olderThan(), request.dryRun(), snapshot.snapshotId(), run.buckets,
                run.candidates, run.verifiedRows, run.deleted, run.failed, seconds);
    }

    /** The column the table's {@code day} partition is built from: the buckets' time column. */
    static String dayColumn(Table table) {
        for (PartitionField f : table.spec().fields()) {
            if (f.transform().toString().equals("day")) {
                return table.schema().findColumnName(f.sourceId());
            }
        }
        throw new IcebergSinkException("table " + table.name() + " has no day partition (spec " + table.spec()
                + "): offload works on time-bucketed tables such as telemetry");
    }

    /** One run's state: totals for progress lines, the buckets reported. */
    private final class Run {
        final Request request;
        final Table table;
        final long snapshotId;
        final OffloadRowForm form;
        final String timeColumn;
        final long startMs;
        final List<Bucket> buckets = new ArrayList<>();
        final List<Types.NestedField> keyColumns;
        long candidates;
        long verifiedRows;
        long deleted;
        int failed;
        long lastLineMs;

        Run(Request request, Table table, long snapshotId, OffloadRowForm form, String timeColumn, long startMs) {
            this.request = request;
            this.table = table;
            this.snapshotId = snapshotId;
            this.form = form;
            this.timeColumn = timeColumn;
            this.startMs = startMs;
            this.keyColumns = new ArrayList<>();
            for (String name : table.schema().identifierFieldNames()) {
                keyColumns.add(table.schema().findField(name));
            }
            keyColumns.sort(java.util.Comparator.comparingInt(f -> table.schema().columns().indexOf(f)));
            if (keyColumns.isEmpty()) {
                throw new IcebergSinkException("table " + table.name() + " has no identifier fields (primary key)");
            }
        }

        void shard(Shard shard) {
            try (Connection c = DriverManager.getConnection(shard.jdbcUrl())) {
                if (shard.dialect() == OffloadRowForm.Dialect.MARIADB) {
                    try (Statement st = c.createStatement()) {
                        st.execute("SET time_zone = '+00:00'"); // TIMESTAMP columns print (and compare) in UTC
                    }
                }
                List<Bucket> listed = list(c, shard);
                for (Bucket b : listed) {
                    candidates += b.shardRows();
                }
                if (!request.dryRun()) {
                    try (Statement st = c.createStatement()) {
                        st.execute(shard.dialect() == OffloadRowForm.Dialect.POSTGRES ? MARKER_DDL : MARKER_DDL_MARIADB);
                    }
                }
                for (Bucket b : listed) {
                    buckets.add(bucket(c, shard.dialect(), b));
                }
            } catch (SQLException e) {
                throw new IcebergSinkException("shard " + shard.id() + " (" + redact(shard.jdbcUrl()) + "): "
                        + e.getMessage() + "; rerun the offload when the shard is reachable (it is idempotent)", e);
            }
        }

        /** The shard's candidate buckets with their count and checksum, computed by the database. */
        private List<Bucket> list(Connection c, Shard shard) throws SQLException {
            OffloadRowForm.Dialect d = shard.dialect();
            String ts = OffloadRowForm.quote(d, timeColumn);
            String day = d == OffloadRowForm.Dialect.POSTGRES ? "(t." + ts + " AT TIME ZONE 'UTC')::date" : "DATE(t." + ts + ")";
            String sql = "SELECT t.tenant_id, t.fleet_id, " + day + " AS day, count(*),"
                    + " sum(" + form.sqlRowTerm(d, "t") + ") FROM " + OffloadRowForm.quote(d, request.table()) + " t"
                    + " WHERE t." + ts + " < ? GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
            List<Bucket> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                setTime(ps, 1, d, request.olderThan());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Bucket(shard.id(), rs.getString(1), rs.getString(2), rs.getObject(3, LocalDate.class),
                                rs.getLong(4), rs.getBigDecimal(5).toBigInteger().toString(), 0, null, "listed", null, 0, 0));
                    }
                }
            }
            return out;
        }

        private Bucket bucket(Connection c, OffloadRowForm.Dialect d, Bucket listed) throws SQLException {
            Instant from = listed.day().atStartOfDay().toInstant(ZoneOffset.UTC);
            Instant dayEnd = from.plusSeconds(86_400);
            Instant to = dayEnd.isBefore(request.olderThan()) ? dayEnd : request.olderThan();
            // the snapshot's rows of the bucket: hash → key values (for the delete)
            Map<String, List<String>> held = new HashMap<>();
            BigInteger sum = BigInteger.ZERO;
            try (CloseableIterable<Record> rows = IcebergGenerics.read(table).useSnapshot(snapshotId)
                    .where(Expressions.and(Expressions.equal("tenant_id", listed.tenant()),
                            Expressions.equal("fleet_id", listed.fleet()),
                            Expressions.greaterThanOrEqual(timeColumn, micros(from)),
                            Expressions.lessThan(timeColumn, micros(to))))
                    .build()) {
                for (Record r : rows) {
                    String h = OffloadRowForm.md5(form.text(d, r));
                    sum = sum.add(BigInteger.valueOf(OffloadRowForm.term(h)));
                    List<String> key = new ArrayList<>(keyColumns.size());
                    for (Types.NestedField k : keyColumns) {
                        key.add(OffloadRowForm.keyText(k.type(), r.getField(k.name())));
                    }
                    held.put(h, key);
                }
            } catch (java.io.IOException e) {
                throw new IcebergSinkException("reading " + table.name() + " snapshot " + snapshotId + ": " + e.getMessage(), e);
            }
            String icebergChecksum = OffloadRowForm.checksum(sum);
            String reason = null;
            if (held.size() != listed.shardRows() || !icebergChecksum.equals(listed.shardChecksum())) {
                // a rerun after a kill (the shard holds part of the bucket), or a real difference: compare row by row
                long differing = differing(c, d, listed, from, to, held.keySet());
                if (differing > 0) {
                    reason = differing + " of the shard's " + listed.shardRows() + " rows are not in snapshot "
                            + snapshotId + " with the same content (changed on the shard since the sink committed,"
                            + " or not committed yet)";
                }
            }
            if (reason != null) {
                failed++;
                progress.accept(String.format(java.util.Locale.ROOT, "%s: bucket %s %s/%s %s NOT offloaded: %s", request.table(), listed.shard(),
                        listed.tenant(), listed.fleet(), listed.day(), reason));
                return new Bucket(listed.shard(), listed.tenant(), listed.fleet(), listed.day(), listed.shardRows(),
                        listed.shardChecksum(), held.size(), icebergChecksum, "failed", reason, 0, 0);
            }
            verifiedRows += listed.shardRows();
            long deletedHere = 0;
            if (!request.dryRun()) {
                beforeDelete.accept(listed);
                deletedHere = delete(c, d, listed, held);
            }
            if (clock.millis() - lastLineMs >= PROGRESS_EVERY_MS) {
                line(false);
            }
            long kept = request.dryRun() ? 0 : Math.max(0, listed.shardRows() - deletedHere);
            return new Bucket(listed.shard(), listed.tenant(), listed.fleet(), listed.day(), listed.shardRows(),
                    listed.shardChecksum(), held.size(), icebergChecksum, "verified", null, deletedHere, kept);
        }

        /** How many of the bucket's shard rows have no row of the same key and content in the snapshot. */
        private long differing(Connection c, OffloadRowForm.Dialect d, Bucket b, Instant from, Instant to,
                               Set<String> held) throws SQLException {
            String ts = OffloadRowForm.quote(d, timeColumn);
            String sql = "SELECT " + form.sqlRowHash(d, "t") + " FROM " + OffloadRowForm.quote(d, request.table()) + " t"
                    + " WHERE t.tenant_id = ? AND t.fleet_id = ? AND t." + ts + " >= ? AND t." + ts + " < ?";
            long differing = 0;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, b.tenant());
                ps.setString(2, b.fleet());
                setTime(ps, 3, d, from);
                setTime(ps, 4, d, to);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (!held.contains(rs.getString(1))) {
                            differing++;
                        }
                    }
                }
            }
            return differing;
        }

        /**
         * Deletes the bucket's rows in batches: a row goes only if its key and its content hash are those the snapshot
         * holds, so a row updated since verification stays. Each batch is one transaction starting with the marker.
         */
        private long delete(Connection c, OffloadRowForm.Dialect d, Bucket b, Map<String, List<String>> held)
                throws SQLException {
            String jobId = "offload-" + request.table() + "-" + snapshotId;
            List<Map.Entry<String, List<String>>> rows = new ArrayList<>(held.entrySet());
            long deletedHere = 0;
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            boolean postgres = d == OffloadRowForm.Dialect.POSTGRES;
            // MariaDB's statement depends on the batch's size: prepared per batch (a null resource is not closed)
            try (PreparedStatement mark = c.prepareStatement(postgres ? MARKER_UPSERT : MARKER_UPSERT_MARIADB);
                 PreparedStatement pgDelete = postgres ? c.prepareStatement(postgresDelete()) : null) {
                for (int start = 0; start < rows.size(); start += request.batchSize()) {
                    List<Map.Entry<String, List<String>>> batch =
                            rows.subList(start, Math.min(rows.size(), start + request.batchSize()));
                    mark.setInt(1, MARKER_SLOT);
                    mark.setString(2, jobId);
                    mark.executeUpdate();
                    int n = postgres ? deletePostgres(c, pgDelete, batch) : deleteMariaDb(c, batch);
                    c.commit();
                    deletedHere += n;
                    deleted += n;
                    throttle();
                    if (clock.millis() - lastLineMs >= PROGRESS_EVERY_MS) {
                        line(false);
                    }
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
            return deletedHere;
        }

        /** {@code DELETE ... USING unnest(keys..., hashes)}: one statement for any batch size. */
        private String postgresDelete() {
            OffloadRowForm.Dialect d = OffloadRowForm.Dialect.POSTGRES;
            StringBuilder using = new StringBuilder("unnest(");
            StringBuilder match = new StringBuilder();
            for (int i = 0; i < keyColumns.size(); i++) {
                using.append("?::text[], ");
                Types.NestedField k = keyColumns.get(i);
                match.append(" AND t.").append(OffloadRowForm.quote(d, k.name())).append(" = v.k").append(i)
                        .append(cast(k.type()));
            }
            using.append("?::text[]) AS v(");
            for (int i = 0; i < keyColumns.size(); i++) {
                using.append("k").append(i).append(", ");
            }
            using.append("h)");
            return "DELETE FROM " + OffloadRowForm.quote(d, request.table()) + " t USING " + using
                    + " WHERE " + form.sqlRowHash(d, "t") + " = v.h" + match;
        }

        private int deletePostgres(Connection c, PreparedStatement del, List<Map.Entry<String, List<String>>> batch)
                throws SQLException {
            for (int i = 0; i < keyColumns.size(); i++) {
                String[] values = new String[batch.size()];
                for (int r = 0; r < batch.size(); r++) {
                    values[r] = batch.get(r).getValue().get(i);
                }
                del.setArray(i + 1, c.createArrayOf("text", values));
            }
            Array h = c.createArrayOf("text", batch.stream().map(Map.Entry::getKey).toArray(String[]::new));
            del.setArray(keyColumns.size() + 1, h);
            return del.executeUpdate();
        }

        /**
         * MariaDB has no arrays: the batch's keys as an {@code OR} of primary-key equalities (one index range each),
         * and its hashes as an {@code IN} list. The hash covers the key, so a row whose hash is in the list has the
         * very key and content of a verified row.
         */
        private int deleteMariaDb(Connection c, List<Map.Entry<String, List<String>>> batch) throws SQLException {
            OffloadRowForm.Dialect d = OffloadRowForm.Dialect.MARIADB;
            String table = OffloadRowForm.quote(d, request.table());
            StringBuilder one = new StringBuilder("(");
            for (int i = 0; i < keyColumns.size(); i++) {
                one.append(i == 0 ? "" : " AND ").append(table).append('.')
                        .append(OffloadRowForm.quote(d, keyColumns.get(i).name())).append(" = ?");
            }
            one.append(')');
            String sql = "DELETE FROM " + table + " WHERE (" + String.join(" OR ", java.util.Collections.nCopies(
                    batch.size(), one)) + ") AND " + form.sqlRowHash(d, table) + " IN ("
                    + String.join(", ", java.util.Collections.nCopies(batch.size(), "?")) + ")";
            try (PreparedStatement del = c.prepareStatement(sql)) {
                int p = 1;
                for (Map.Entry<String, List<String>> row : batch) {
                    for (int i = 0; i < keyColumns.size(); i++) {
                        String v = row.getValue().get(i);
                        if (keyColumns.get(i).type().typeId() == Type.TypeID.TIMESTAMP) {
                            setTime(del, p++, d, Instant.parse(v));
                        } else {
                            del.setString(p++, v);
                        }
                    }
                }
                for (Map.Entry<String, List<String>> row : batch) {
                    del.setString(p++, row.getKey());
                }
                return del.executeUpdate();
            }
        }

        private void throttle() {
            if (request.maxRowsPerSecond() <= 0) {
                return;
            }
            long dueMs = startMs + (long) (deleted * 1000.0 / request.maxRowsPerSecond());
            long waitMs = dueMs - clock.millis();
            if (waitMs > 0) {
                try {
                    Thread.sleep(waitMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IcebergSinkException("offload interrupted after " + deleted + " rows (rerun to go on)");
                }
            }
        }

        /** {@code table: 12000/50000 rows deleted (24.0%), 3100 rows/s, ETA 12 s} (dry run: rows verified). */
        void line(boolean last) {
            long now = clock.millis();
            lastLineMs = now;
            double secs = Math.max(0.001, (now - startMs) / 1000.0);
            if (request.dryRun()) {
                progress.accept(String.format(java.util.Locale.ROOT, "%s (dry run): %d/%d candidate rows verified, %d buckets failed%s",
                        request.table(), verifiedRows, candidates, failed, last ? ", nothing deleted" : ""));
                return;
            }
            double rate = deleted / secs;
            long left = Math.max(0, candidates - deleted);
            String eta = last ? "done" : rate > 0 ? "ETA " + Math.round(left / rate) + " s" : "ETA ?";
            progress.accept(String.format(java.util.Locale.ROOT, "%s: %d/%d rows deleted (%.1f%%), %.0f rows/s, %s", request.table(), deleted,
                    candidates, candidates == 0 ? 100.0 : 100.0 * deleted / candidates, rate, eta));
        }
    }

    private static String cast(Type t) {
        return switch (t.typeId()) {
            case TIMESTAMP -> "::timestamptz";
            case LONG -> "::bigint";
            case INTEGER -> "::integer";
            case BOOLEAN -> "::boolean";
            case DOUBLE -> "::double precision";
            default -> "";
        };
    }

    /**
     * Binds a point in time: PostgreSQL's {@code timestamptz} takes the instant; MariaDB's {@code DATETIME} holds UTC
     * wall-clock time (a {@code TIMESTAMP} column too, the session's zone being UTC).
     */
    private static void setTime(PreparedStatement ps, int index, OffloadRowForm.Dialect d, Instant at) throws SQLException {
        if (d == OffloadRowForm.Dialect.POSTGRES) {
            ps.setTimestamp(index, Timestamp.from(at));
        } else {
            ps.setObject(index, java.time.LocalDateTime.ofInstant(at, ZoneOffset.UTC));
        }
    }

    private static long micros(Instant i) {
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
    }

    static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1******");
    }
}
