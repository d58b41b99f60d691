package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardKind;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.MariaDbNode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scatter reads while fleets move (ADR 0051): two PostgreSQL shards ({@code p1}, {@code p2}, two databases of one
 * server) and two MariaDB shards ({@code m1}, {@code m2}). Tenant {@code mv} has a fleet at home on each shard and six
 * fleets named by reshard jobs, whose rows are on their owner (written through the router) and, as the resharder
 * leaves them, on the job's other shard too (written straight into its database): after the cutover on the source
 * (phases cleanup and validate, one of them a move between engines), before it on the target (catch-up, precopy: part
 * of the rows), and on the target of a failed job. Every scatter must answer each of the tenant's 30 rows once.
 */
class ScatterStrayRowsIT {
    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static MariaDbNode maria;
    static InMemoryShardMap map;
    static Router router;
    static RouterHttp http;
    static final Map<String, String> URLS = new HashMap<>();
    static final List<MapEntity> ENTITIES = new ArrayList<>();

    private static final String TENANT = "mv";
    private static final int ROWS_PER_FLEET = 3;
    /** Fleet -> its owner per the map, and the job that left (part of) its rows elsewhere. */
    private static final Map<String, String> OWNER = new TreeMap<>(Map.of("h1", "p1", "h2", "p2", "h3", "m1",
            "h4", "m2", "pcut", "p2", "pcopy", "p1", "mcut", "m2", "mcopy", "m2", "xcut", "m1", "left", "m2"));
    private static final List<ReshardJob> JOBS = List.of(
            job("j1", "p1", "p2", "mv/pcut", ReshardPhase.CLEANUP),
            job("j2", "p1", "p2", "mv/pcopy", ReshardPhase.CATCHUP),
            job("j3", "m1", "m2", "mv/mcut", ReshardPhase.CLEANUP),
            job("j4", "m2", "m1", "mv/mcopy", ReshardPhase.PRECOPY),
            job("j5", "p2", "m1", "mv/xcut", ReshardPhase.VALIDATE),
            job("j6", "m2", "p1", "mv/left", ReshardPhase.FAILED));
    /** Fleet -> the shard holding its stray copy, and how many of its rows the copy has. */
    private static final Map<String, Map.Entry<String, Integer>> STRAY = Map.of(
            "pcut", Map.entry("p1", 3), "pcopy", Map.entry("p2", 2), "mcut", Map.entry("m1", 3),
            "mcopy", Map.entry("m1", 1), "xcut", Map.entry("p2", 3), "left", Map.entry("p1", 2));

    @BeforeAll
    static void start() throws SQLException {
        pg = new PostgresCluster(dir, false);
        maria = MariaDbNode.start(dir.resolve("maria"));
        ENTITIES.add(new Tenant(TENANT, DurabilityTier.STANDARD));
        ENTITIES.add(new Tenant("nb", DurabilityTier.STANDARD));
        for (int s = 1; s <= 2; s++) {
            URLS.put("p" + s, pg.primary.jdbcUrl(pg.newShardDatabase("stray")));
            String db = "stray_" + s + "_" + ProcessHandle.current().pid();
            maria.createDatabase(db);
            FleetSchema.install(maria.jdbcUrl(db), PostgresCluster.SECRET);
            URLS.put("m" + s, maria.jdbcUrl(db));
        }
        URLS.forEach((shard, url) -> {
            ENTITIES.add(Shard.withDefaultTokens(shard, ShardStatus.ACTIVE,
                    shard.startsWith("p") ? Engine.POSTGRES : Engine.MARIADB, 16));
            ENTITIES.add(new Node(shard + "-p", shard, NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", url));
        });
        OWNER.forEach((fleet, shard) -> ENTITIES.add(new Fleet(TENANT, fleet, shard)));
        ENTITIES.addAll(JOBS);
        // a neighbour with a fleet of the same name as a moved one, at home where mv's copy is stray
        ENTITIES.add(new Fleet("nb", "pcut", "p1"));
        ENTITIES.add(new Fleet("nb", "n2", "p2"));
        map = new InMemoryShardMap();
        map.commit(0, ENTITIES, List.of());
        router = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).requestTimeoutMs(5000).build(), map).start();
        http = new RouterHttp(router.port());

        for (Map.Entry<String, String> e : OWNER.entrySet()) {
            for (int i = 1; i <= ROWS_PER_FLEET; i++) {
                RouterHttp.Reply r = http.query(Map.of("tenantId", TENANT, "fleetId", e.getKey(), "sql",
                        "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES (?, ?, ?, ?, ?)",
                        "params", List.of(TENANT, e.getKey(), "v" + i, "X".repeat(i), "active")));
                assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            }
        }
        for (Map.Entry<String, Map.Entry<String, Integer>> e : STRAY.entrySet()) {
            insertDirectly(URLS.get(e.getValue().getKey()), TENANT, e.getKey(), e.getValue().getValue());
        }
        insertDirectly(URLS.get("p1"), "nb", "pcut", 2);
        insertDirectly(URLS.get("p2"), "nb", "n2", 1);
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (maria != null) {
            maria.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private static ReshardJob job(String id, String source, String target, String fleet, ReshardPhase phase) {
        return new ReshardJob(id, ReshardKind.MOVE, source, target, List.of(fleet), List.of(), phase, -1, 0, 0,
                false, null);
    }

    /** As the resharder writes: straight into the shard's tables, as a superuser, past the router. */
    private static void insertDirectly(String url, String tenant, String fleet, int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES (?, ?, ?, ?, 'active')")) {
            for (int i = 1; i <= rows; i++) {
                ps.setString(1, tenant);
                ps.setString(2, fleet);
                ps.setString(3, "v" + i);
                ps.setString(4, "X".repeat(i));
                ps.executeUpdate();
            }
        }
    }

    private static JsonNode scatter(String tenant, String sql) {
        RouterHttp.Reply r = http.scatter(Map.of("tenantId", tenant, "sql", sql));
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        return r.body();
    }

    private static String rows(JsonNode body) {
        return body.get("rows").toString();
    }

    /** The expected {@code [fleet, n]} rows of a GROUP BY fleet_id, by fleet. */
    private static String perFleet() {
        StringBuilder out = new StringBuilder("[");
        OWNER.keySet().forEach(f -> out.append(out.length() == 1 ? "" : ",").append("[\"").append(f).append("\",")
                .append(ROWS_PER_FLEET).append(']'));
        return out.append(']').toString();
    }

    @Test
    void aggregatesCountEveryRowOnceOnBothEnginesAndAcrossThem() {
        int rows = OWNER.size() * ROWS_PER_FLEET;
        assertThat(rows(scatter(TENANT, "SELECT count(*) FROM vehicles"))).isEqualTo("[[" + rows + "]]");
        // length(vin) is 1, 2, 3 in every fleet
        assertThat(rows(scatter(TENANT, "SELECT count(*), sum(length(vin)) AS total FROM vehicles")))
                .isEqualTo("[[" + rows + "," + OWNER.size() * 6 + "]]");
        assertThat(rows(scatter(TENANT, "SELECT fleet_id, count(*) AS n FROM vehicles GROUP BY fleet_id"
                + " ORDER BY fleet_id"))).isEqualTo(perFleet());
    }

    @Test
    void plainRowsComeOnceEachFromTheFleetsOwner() {
        JsonNode body = scatter(TENANT, "SELECT fleet_id, vehicle_id FROM vehicles");
        List<String> seen = new ArrayList<>();
        body.get("rows").forEach(r -> seen.add(r.get(0).asText() + "/" + r.get(1).asText()));
        List<String> expected = new ArrayList<>();
        OWNER.keySet().forEach(f -> {
            for (int i = 1; i <= ROWS_PER_FLEET; i++) {
                expected.add(f + "/v" + i);
            }
        });
        assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
        // each shard answered for the fleets it owns: two of them, four on m2
        Map<String, Integer> perShard = new TreeMap<>();
        body.get("shards").forEach(s -> perShard.put(s.get("shardId").asText(), s.get("rows").asInt()));
        assertThat(perShard).isEqualTo(Map.of("p1", 6, "p2", 6, "m1", 6, "m2", 12));
    }

    @Test
    void hidesOnlyTheMovingTenantsFleetsNotAnotherTenantsFleetOfTheSameName() {
        assertThat(rows(scatter("nb", "SELECT fleet_id, count(*) AS n FROM vehicles GROUP BY fleet_id"
                + " ORDER BY fleet_id"))).isEqualTo("[[\"n2\",1],[\"pcut\",2]]");
    }

    @Test
    void pointReadsGoToTheOwnerAndSeeAllItsRows() {
        for (String fleet : OWNER.keySet()) {
            RouterHttp.Reply r = http.query(Map.of("tenantId", TENANT, "fleetId", fleet, "sql",
                    "SELECT count(*) FROM vehicles WHERE fleet_id = ?", "params", List.of(fleet)));
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            assertThat(rows(r.body())).as(fleet).isEqualTo("[[" + ROWS_PER_FLEET + "]]");
        }
    }

    /**
     * A connection bound for one leg must not serve a later leg with what it hid then: a new job starts copying h2
     * from p2 to p1, so p1 must now hide h2 as well. Reusing p1's binding of the map before would count h2's copied
     * rows twice.
     */
    @Test
    void aNewMapVersionChangesWhatALegHidesOnConnectionsBoundBefore() throws SQLException {
        int rows = OWNER.size() * ROWS_PER_FLEET;
        String count = "SELECT count(*) FROM vehicles";
        for (int i = 0; i < 3; i++) {
            assertThat(rows(scatter(TENANT, count))).isEqualTo("[[" + rows + "]]");
        }
        long version = map.current().version();
        ReshardJob starting = job("j7", "p2", "p1", "mv/h2", ReshardPhase.PRECOPY);
        try {
            map.commit(version, List.of(starting), List.of());
            insertDirectly(URLS.get("p1"), TENANT, "h2", ROWS_PER_FLEET);
            for (int i = 0; i < 3; i++) {
                assertThat(rows(scatter(TENANT, count))).isEqualTo("[[" + rows + "]]");
            }
        } finally {
            try (Connection c = DriverManager.getConnection(URLS.get("p1"));
                 java.sql.Statement st = c.createStatement()) {
                st.executeUpdate("DELETE FROM vehicles WHERE tenant_id = 'mv' AND fleet_id = 'h2'");
            }
            map.commit(version + 1, List.of(), List.of(starting.entityKey()));
        }
        assertThat(rows(scatter(TENANT, count))).isEqualTo("[[" + rows + "]]");
    }

    /**
     * What a router before ADR 0051 does against this schema: it binds without the hidden fleets (PostgreSQL's
     * four-parameter procedure, MariaDB's SET without the variable), and sees every row of the tenant, as before.
     */
    @Test
    void aBindWithoutHiddenFleetsHidesNothing() throws SQLException {
        String sig = TenantSigner.sign(PostgresCluster.SECRET, TENANT);
        try (Connection c = DriverManager.getConnection(pg.primary.jdbcUrl(
                JdbcUrl.parse(URLS.get("p1")).database(), FleetSchema.DEFAULT_APP_ROLE));
             PreparedStatement ps = c.prepareStatement("BEGIN;\nCALL public.fleetshard_bind(?, ?, ?, ?);\n"
                     + "SELECT count(*) FROM vehicles\n;\nCOMMIT")) {
            ps.setString(1, TENANT);
            ps.setString(2, sig);
            ps.setNull(3, java.sql.Types.VARCHAR);
            ps.setInt(4, 5000);
            ps.execute();
            ps.getMoreResults();
            assertThat(ps.getMoreResults()).isTrue();
            try (ResultSet rs = ps.getResultSet()) {
                rs.next();
                assertThat(rs.getInt(1)).as("h1, pcopy, and the stray pcut and left").isEqualTo(3 + 3 + 3 + 2);
            }
        }
        String db = JdbcUrl.parse(URLS.get("m1")).database();
        try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + maria.port() + "/"
                + FleetSchema.mariaDbViewDatabase(db) + "?user=" + FleetSchema.DEFAULT_APP_ROLE);
             PreparedStatement ps = c.prepareStatement("SET @fleetshard_tenant_id = ?, @fleetshard_tenant_sig = ?,"
                     + " @fleetshard_fleet_id = NULL")) {
            ps.setString(1, TENANT);
            ps.setString(2, sig);
            ps.execute();
            try (java.sql.Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM vehicles")) {
                rs.next();
                assertThat(rs.getInt(1)).as("h3, xcut, and the stray mcut and mcopy").isEqualTo(3 + 3 + 3 + 1);
            }
        }
    }
}
