package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.Await;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The write fence of ADR 0013 through the router, the same on every engine: shards {@code a} and {@code b} of one
 * server, tenant {@code acme}; fleet {@code stuck} is fenced on {@code a} for the whole class and never moves. Two
 * routers follow the same in-memory map: one holds fenced writes long enough for a test to move the fleet, the other
 * gives up after {@value #QUICK_HOLD_MS} ms.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WriteFenceContract {
    static final long QUICK_HOLD_MS = 300;

    final InMemoryShardMap map = new InMemoryShardMap();
    String urlA;
    String urlB;
    Router patient;
    Router quick;
    RouterHttp patientHttp;
    RouterHttp quickHttp;

    /** Starts the server; returns superuser JDBC URLs of two fresh shard databases with the fleet schema. */
    abstract List<String> startShards();

    abstract Engine engine();

    abstract void stopServers();

    /** Runs {@code sql} as a superuser on {@code url} in a session marked as the resharder's. */
    abstract void asResharder(String url, String sql) throws SQLException;

    @BeforeAll
    void start() throws SQLException {
        List<String> urls = startShards();
        urlA = urls.get(0);
        urlB = urls.get(1);
        map.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("a", ShardStatus.ACTIVE, engine(), 16),
                Shard.withDefaultTokens("b", ShardStatus.ACTIVE, engine(), 16),
                new Node("a-p", "a", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", urlA),
                new Node("b-p", "b", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", urlB),
                new Fleet("acme", "free", "a"), new Fleet("acme", "moving", "a"), new Fleet("acme", "stuck", "a"),
                new Fleet("acme", "other", "a"), new Fleet("acme", "forging", "a"), new Fleet("acme", "bulk", "a"),
                new Fleet("acme", "gone", "a")),
                List.of());
        patient = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).reshardHoldMs(60_000).build(), map).start();
        quick = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).reshardHoldMs(QUICK_HOLD_MS).build(), map).start();
        patientHttp = new RouterHttp(patient.port());
        quickHttp = new RouterHttp(quick.port());
        assertThat(insert(patientHttp, "stuck", "s0").status()).isEqualTo(200);
        fence(urlA, "stuck", "job-stuck");
        fence(urlA, "forging", "job-forging");
    }

    @AfterAll
    void stop() {
        for (Router r : new Router[] {patient, quick}) {
            if (r != null) {
                r.stop();
            }
        }
        stopServers();
    }

    static RouterHttp.Reply insert(RouterHttp http, String fleet, String vehicle) {
        return http.query(Map.of("tenantId", "acme", "fleetId", fleet, "sql", "INSERT INTO vehicles (tenant_id,"
                + " fleet_id, vehicle_id, status) VALUES ('acme', ?, ?, 'new')", "params", List.of(fleet, vehicle)));
    }

    static RouterHttp.Reply query(RouterHttp http, String fleet, String sql) {
        return http.query(Map.of("tenantId", "acme", "fleetId", fleet, "sql", sql));
    }

    /** What the resharder's fence transaction does (ADR 0013 "Cutover" step 2), as a superuser. */
    static void fence(String url, String fleet, String job) throws SQLException {
        execute(url, "INSERT INTO fleetshard_fence (tenant_id, fleet_id, job_id) VALUES ('acme', '" + fleet + "', '"
                + job + "')");
    }

    static void execute(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Vehicle ids of {@code fleet} in the base table of the shard at {@code url}, read as a superuser. */
    static List<String> vehiclesOn(String url, String fleet) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT vehicle_id FROM vehicles WHERE tenant_id = 'acme' AND fleet_id = '"
                     + fleet + "' ORDER BY vehicle_id")) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    double held(Router router, String outcome) {
        return router.registry().counter("fleetshard.router.held.writes", "outcome", outcome).count();
    }

    @Test
    void writesOfAnUnfencedFleetWork() throws SQLException {
        assertThat(insert(quickHttp, "free", "v1").status()).isEqualTo(200);
        RouterHttp.Reply update = query(quickHttp, "free", "UPDATE vehicles SET status = 'parked' WHERE vehicle_id = 'v1'");
        assertThat(update.body().get("updateCount").asInt()).as(update.body().toString()).isEqualTo(1);
        assertThat(vehiclesOn(urlA, "free")).containsExactly("v1");
        assertThat(query(quickHttp, "free", "DELETE FROM vehicles WHERE vehicle_id = 'v1'").status()).isEqualTo(200);
        assertThat(vehiclesOn(urlA, "free")).isEmpty();
    }

    @Test
    void aFencedWriteIsHeldUntilTheMapMovesItsFleetThenTakenByTheNewShard() throws Exception {
        fence(urlA, "moving", "job-1");
        double retriedBefore = held(patient, "retried");
        CompletableFuture<RouterHttp.Reply> write = CompletableFuture.supplyAsync(
                () -> insert(patientHttp, "moving", "m1"));
        Await.condition("the write to fence fleet 'moving' to be held", Duration.ofSeconds(30),
                () -> patient.registry().get("fleetshard.router.held.writes.waiting").gauge().value() >= 1);
        assertThat(write).isNotDone();

        // the cutover's map transaction (ADR 0013 step 4): the fleet now lives on b
        map.commit(map.current().version(), List.of(new Fleet("acme", "moving", "b")), List.of());

        RouterHttp.Reply reply = write.get(30, TimeUnit.SECONDS);
        assertThat(reply.status()).as(reply.body().toString()).isEqualTo(200);
        assertThat(reply.body().get("shardId").asText()).isEqualTo("b");
        assertThat(reply.body().get("updateCount").asInt()).isEqualTo(1);
        assertThat(reply.body().get("token").asText()).startsWith("b@");
        assertThat(vehiclesOn(urlB, "moving")).containsExactly("m1");
        assertThat(vehiclesOn(urlA, "moving")).as("the fenced shard changed nothing").isEmpty();
        assertThat(held(patient, "retried")).isEqualTo(retriedBefore + 1);
        // later writes go straight to b
        assertThat(insert(patientHttp, "moving", "m2").body().get("shardId").asText()).isEqualTo("b");
    }

    @Test
    void aFencedWriteWithoutAMoveEndsIn503WithRetryAfterNamingTheFleet() throws SQLException {
        double timedOutBefore = held(quick, "timed-out");
        RouterHttp.Reply r = query(quickHttp, "stuck", "UPDATE vehicles SET status = 'lost' WHERE vehicle_id = 's0'");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(503);
        assertThat(r.raw().headers().firstValue("Retry-After")).hasValue("1");
        assertThat(r.raw().headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(r.body().get("type").asText()).endsWith("fleet-moving");
        assertThat(r.detail()).contains("fleet stuck of tenant acme is being moved")
                .contains("router.reshard.hold.ms").contains("nothing was written");
        assertThat(held(quick, "timed-out")).isEqualTo(timedOutBefore + 1);
        assertThat(insert(quickHttp, "stuck", "s9").status()).isEqualTo(503);
        assertThat(query(quickHttp, "stuck", "DELETE FROM vehicles").status()).isEqualTo(503);
        assertThat(vehiclesOn(urlA, "stuck")).containsExactly("s0");
        assertThat(query(quickHttp, "stuck", "SELECT status FROM vehicles WHERE fleet_id = 'stuck'")
                .body().get("rows").toString()).isEqualTo("[[\"new\"]]");
    }

    @Test
    void readsOfAFencedFleetAreServed() {
        RouterHttp.Reply r = query(patientHttp, "stuck", "SELECT vehicle_id FROM vehicles WHERE fleet_id = 'stuck'");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"s0\"]]");
    }

    @Test
    void writesOfAnotherFleetOnTheFencedShardAreNotHeld() throws SQLException {
        double before = held(patient, "retried") + held(patient, "timed-out");
        RouterHttp.Reply r = insert(patientHttp, "other", "o1");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(r.body().get("shardId").asText()).isEqualTo("a");
        assertThat(held(patient, "retried") + held(patient, "timed-out")).isEqualTo(before);
        assertThat(vehiclesOn(urlA, "other")).containsExactly("o1");
    }

    @Test
    void theResharderCanStillWriteAFencedFleetAndOthersCannot() throws SQLException {
        asResharder(urlA, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'stuck', 'r1')");
        asResharder(urlA, "UPDATE vehicles SET status = 'copied' WHERE fleet_id = 'stuck' AND vehicle_id = 'r1'");
        asResharder(urlA, "DELETE FROM vehicles WHERE fleet_id = 'stuck' AND vehicle_id = 'r1'");
        // a superuser that is not marked as the resharder is fenced like anyone
        assertThatThrownBy(() -> execute(urlA, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                + " ('acme', 'stuck', 'r2')")).isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED);
                    assertThat(e.getMessage()).contains("fleet stuck of tenant acme is fenced on this shard by"
                            + " reshard job job-stuck");
                });
        assertThatThrownBy(() -> execute(urlA, "UPDATE vehicles SET fleet_id = 'stuck' WHERE fleet_id = 'other'"))
                .as("moving a row into a fenced fleet").isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
        assertThat(vehiclesOn(urlA, "stuck")).containsExactly("s0");
    }

    /**
     * Several rows in one {@code INSERT ... SELECT} with a column list: written together for an unfenced fleet, refused
     * as a whole for a fenced one, also when only its last row is fenced. On MariaDB 11.4.5 such a statement failed
     * ("Column 'tenant_id' cannot be null") while the guards were BEFORE triggers (ADR 0056).
     */
    @Test
    void anInsertSelectOfSeveralRowsIsWrittenOrFencedAsAWhole() throws SQLException {
        String threeRows = " FROM (SELECT 'x1' AS id UNION ALL SELECT 'x2' UNION ALL SELECT 'x3') s";
        RouterHttp.Reply written = query(quickHttp, "bulk", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id,"
                + " status) SELECT 'acme', 'bulk', CONCAT('is-', s.id), 'new'" + threeRows);
        assertThat(written.status()).as(written.body().toString()).isEqualTo(200);
        assertThat(written.body().get("updateCount").asInt()).isEqualTo(3);
        assertThat(vehiclesOn(urlA, "bulk")).containsExactly("is-x1", "is-x2", "is-x3");

        RouterHttp.Reply fenced = query(quickHttp, "stuck", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id,"
                + " status) SELECT 'acme', 'stuck', CONCAT('is-', s.id), 'new'" + threeRows);
        assertThat(fenced.status()).as(fenced.body().toString()).isEqualTo(503);
        assertThat(fenced.body().get("type").asText()).endsWith("fleet-moving");
        assertThat(vehiclesOn(urlA, "stuck")).containsExactly("s0");

        // a superuser's statement whose last row only is of the fenced fleet: none of its rows is written
        assertThatThrownBy(() -> execute(urlA, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) SELECT 'acme',"
                + " CASE WHEN s.id = 'x3' THEN 'stuck' ELSE 'bulk' END, CONCAT('mixed-', s.id)" + threeRows))
                .isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo(FleetSchema.FENCED));
        assertThat(vehiclesOn(urlA, "bulk")).containsExactly("is-x1", "is-x2", "is-x3");
        assertThat(vehiclesOn(urlA, "stuck")).containsExactly("s0");
    }

    /**
     * An insert of a key that the old shard still holds fails as a duplicate before any guard runs (PostgreSQL's AFTER
     * statement triggers, MariaDB's AFTER INSERT triggers, ADR 0056), decided by the old shard's rows: 409, not held.
     */
    @Test
    void aFencedInsertOfAKeyTheOldShardStillHoldsIsAConflictNotAHold() throws SQLException {
        double before = held(quick, "retried") + held(quick, "timed-out");
        RouterHttp.Reply r = insert(quickHttp, "stuck", "s0");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(409);
        assertThat(held(quick, "retried") + held(quick, "timed-out")).isEqualTo(before);
        assertThat(vehiclesOn(urlA, "stuck")).containsExactly("s0");
    }

    /**
     * ADR 0062: after a move, the old shard keeps the fleet's fence but no longer its rows. A router whose map still
     * places the fleet there sends an UPDATE or DELETE that matches no row: no row trigger fires, yet the write must
     * not succeed with 0 rows (the row lives on the new shard). It is fenced like any write of the fleet: held, then
     * taken by the new shard once the map says so, or 503 when no map does within the hold.
     */
    @Test
    void aFencedUpdateOrDeleteThatMatchesNoRowIsHeldAndTakenByTheNewShard() throws Exception {
        fence(urlA, "gone", "job-gone");
        execute(urlB, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, status) VALUES ('acme', 'gone', 'g1',"
                + " 'new')");
        String update = "UPDATE vehicles SET status = 'parked' WHERE vehicle_id = 'g1'";
        RouterHttp.Reply refused = query(quickHttp, "gone", update);
        assertThat(refused.status()).as(refused.body().toString()).isEqualTo(503);
        assertThat(refused.body().get("type").asText()).endsWith("fleet-moving");
        RouterHttp.Reply refusedDelete = query(quickHttp, "gone", "DELETE FROM vehicles WHERE vehicle_id = 'g1'");
        assertThat(refusedDelete.status()).as(refusedDelete.body().toString()).isEqualTo(503);
        RouterHttp.Reply unfencedNoRow = query(quickHttp, "free", "UPDATE vehicles SET status = 'x' WHERE vehicle_id"
                + " = 'nobody'");
        assertThat(unfencedNoRow.body().get("updateCount").asInt()).as("an unfenced fleet's write of no row")
                .isEqualTo(0);

        CompletableFuture<RouterHttp.Reply> write = CompletableFuture.supplyAsync(
                () -> query(patientHttp, "gone", update));
        Await.condition("the update of fenced fleet 'gone' to be held", Duration.ofSeconds(30),
                () -> patient.registry().get("fleetshard.router.held.writes.waiting").gauge().value() >= 1);
        map.commit(map.current().version(), List.of(new Fleet("acme", "gone", "b")), List.of());
        RouterHttp.Reply reply = write.get(30, TimeUnit.SECONDS);
        assertThat(reply.status()).as(reply.body().toString()).isEqualTo(200);
        assertThat(reply.body().get("shardId").asText()).isEqualTo("b");
        assertThat(reply.body().get("updateCount").asInt()).isEqualTo(1);
    }

    @Test
    void installingTheSchemaAgainKeepsTheFence() {
        FleetSchema.install(urlA, PostgresCluster.SECRET);
        assertThat(insert(quickHttp, "stuck", "s8").status()).isEqualTo(503);
    }
}
