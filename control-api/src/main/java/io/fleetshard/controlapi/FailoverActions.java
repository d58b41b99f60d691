package io.fleetshard.controlapi;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Node;
import java.time.Duration;
import java.util.List;

/** What a failover does to database servers; {@link JdbcFailoverActions} over JDBC, fakes in tests. */
interface FailoverActions {
    /** Null when {@code node} accepts a connection and answers {@code SELECT 1} within {@code timeout}; else why not. */
    String unreachable(Node node, Engine engine, Duration timeout);

    /**
     * Promotes {@code candidate} to a primary that takes writes, if it is not one already (so a repeat after a crash
     * does nothing), and says what it found: replay position, change capture's slot copies.
     *
     * @throws ControlApiException when the node cannot be promoted
     */
    String promote(Node candidate, Engine engine, Duration timeout);

    /** Best effort: makes a reachable old primary refuse writes; says what it did. Never throws. */
    String fence(Node oldPrimary, Engine engine, Duration timeout);

    /**
     * Switchover: makes {@code primary} refuse new write transactions, waits (up to {@code timeout}) until no write
     * transaction is running there, and returns its WAL position then: every committed write is at or before it.
     *
     * @throws ControlApiException when the node cannot be frozen (it is thawed again first)
     */
    String freeze(Node primary, Engine engine, Duration timeout);

    /** Whether {@code replica} has replayed the WAL up to {@code position}. */
    boolean caughtUp(Node replica, Engine engine, String position, Duration timeout);

    /** Undoes {@link #freeze} and {@link #fence}: the node takes writes again. Says what it did; never throws. */
    String thaw(Node node, Engine engine, Duration timeout);

    /**
     * Checks that {@code primary} takes writes (not in recovery, a transaction id can be assigned); says what it saw.
     *
     * @throws ControlApiException when it does not
     */
    String verifyWritable(Node primary, Engine engine, Duration timeout);

    /** MariaDB: the node's {@code @@gtid_binlog_pos} now; null where there is none to compare (PostgreSQL). */
    default String binlogPosition(Node node, Engine engine, Duration timeout) {
        return null;
    }

    /**
     * Failback and rejoin: checks that {@code node} is a replica streaming from {@code primary} and says whether the
     * primary waits for it on commit (synchronous) and what it saw (replay position, capture's slot copies).
     *
     * @throws ControlApiException when it is not (unreachable, takes writes, streams from elsewhere or not at all)
     */
    ReplicaCheck replicaOf(Node node, Node primary, Engine engine, Duration timeout);

    /**
     * Null when {@code replica} holds a lasting copy (synced, not temporary) of each of {@code primary}'s failover
     * logical slots (change capture's), so that promoting it keeps capture's position; else which are missing. A
     * copy stays temporary until the primary logs a running-transactions record past it: this asks the primary to
     * log one.
     */
    String slotCopiesMissing(Node replica, Node primary, Engine engine, Duration timeout);

    /**
     * After a failover's promotion: true when {@code promoted} (PostgreSQL) holds no lasting logical slot, so change
     * capture cannot go on from its position there and must snapshot the new primary. The replica's copy of capture's
     * slot stays temporary until the primary logs a running-transactions record past it, and a temporary copy is
     * dropped at promotion: a primary killed soon after capture started leaves none. False for MariaDB (capture
     * resumes by GTID) and when the node cannot be read (capture then reports the missing slot itself).
     */
    default boolean captureSlotLost(Node promoted, Engine engine, Duration timeout) {
        return false;
    }

    /**
     * Disaster recovery: marks the warm standby {@code standby} of shard {@code shardId} promoted (by {@code by}) in
     * its database, in a transaction that holds the standby applier's position row, so the applier stops between two
     * manifests and never writes it again; then checks that the server takes writes. Says what the standby had
     * applied (manifest, last commit time). Repeating it does nothing more.
     *
     * @throws ControlApiException when the standby cannot be marked or does not take writes
     */
    String promoteStandby(Node standby, Engine engine, String shardId, String by, Duration timeout);

    /**
     * MariaDB: the GTID position {@code replica} has received from its primary ({@code Gtid_IO_Pos}), to promote the
     * replica that received the most (ADR 0024); null for other engines, or when it cannot be read.
     */
    String receivedPosition(Node replica, Engine engine, Duration timeout);

    /**
     * MariaDB switchover: makes {@code oldPrimary} (frozen, so all its transactions are on {@code newPrimary}) a
     * semi-synchronous GTID replica of {@code newPrimary} ({@code MASTER_USE_GTID=current_pos}) and waits (up to
     * {@code timeout}) until it is connected; says what it did. Repeating it does it again, harmlessly.
     *
     * @throws ControlApiException when it cannot (other engines, unreachable, not connected in time)
     */
    String follow(Node oldPrimary, Node newPrimary, Engine engine, Duration timeout);

    /**
     * MariaDB failback and rejoin (ADR 0032): the transactions {@code node}'s binary log holds that {@code primary}'s
     * does not ({@link GtidBinlogState#errantAgainst}), e.g. the last ones a crashed primary wrote that no replica
     * received. Empty when there are none (the node may follow the primary by GTID) and for other engines.
     *
     * @throws ControlApiException when either position cannot be read
     */
    default List<String> errantTransactions(Node node, Node primary, Engine engine, Duration timeout) {
        return List.of();
    }

    /** What {@link #replicaOf} found. */
    record ReplicaCheck(boolean synchronous, String detail) {
    }
}
