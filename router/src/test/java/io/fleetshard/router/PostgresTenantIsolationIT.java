package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adversarial tests: tenant {@code evil} shares shard s1 with tenant {@code acme} and sends crafted SQL. Whatever it
 * sends, it never sees or changes a row of acme. First through the router, then straight to PostgreSQL as the
 * router's role, to show the database holds even where the router's checks would be bypassed.
 */
class PostgresTenantIsolationIT {
    private static final String ACME_VIN = "ACME-SECRET-VIN";

    @TempDir
    static Path dir;
    static PostgresCluster pg;
    static String db;
    static Router router;
    static RouterHttp http;

    @BeforeAll
    static void start() {
        pg = new PostgresCluster(dir, false);
        db = pg.newShardDatabase("isolation");
        InMemoryShardMap map = new InMemoryShardMap();
        map.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD), new Tenant("evil", DurabilityTier.STANDARD),
                Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.primary.jdbcUrl(db)),
                new Fleet("acme", "f1", "s1"), new Fleet("evil", "e1", "s1")), List.of());
        router = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0).poolMaxSize(2)
                .poolMinIdle(1).build(), map).start();
        http = new RouterHttp(router.port());
        for (int i = 0; i < 3; i++) {
            assertThat(as("acme", "f1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES"
                    + " ('acme', 'f1', 'a" + i + "', '" + ACME_VIN + i + "', 'active')").status()).isEqualTo(200);
        }
        assertThat(as("evil", "e1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin, status) VALUES"
                + " ('evil', 'e1', 'e0', 'EVIL-VIN', 'active')").status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        if (router != null) {
            router.stop();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** A request of {@code tenant} with a tenant-writer token of its own, as a tenant's application sends it. */
    private static RouterHttp.Reply as(String tenant, String fleet, String sql) {
        return tokenOf(Role.TENANT_WRITER, tenant).query(Map.of("tenantId", tenant, "fleetId", fleet, "sql", sql));
    }

    private static RouterHttp tokenOf(Role role, String tenant) {
        return new RouterHttp(router.port(), TestTokens.of(role, tenant));
    }

    private static RouterHttp.Reply evil(String sql) {
        RouterHttp.Reply r = as("evil", "e1", sql);
        assertThat(r.raw().body()).as(sql).doesNotContain(ACME_VIN).doesNotContain("\"acme\"");
        return r;
    }

    private static void assertAcmeUntouched() {
        RouterHttp.Reply r = as("acme", "f1", "SELECT vehicle_id, vin, status FROM vehicles ORDER BY vehicle_id");
        assertThat(r.body().get("rows").toString()).isEqualTo("[[\"a0\",\"" + ACME_VIN + "0\",\"active\"],[\"a1\",\""
                + ACME_VIN + "1\",\"active\"],[\"a2\",\"" + ACME_VIN + "2\",\"active\"]]");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM vehicles",
        "SELECT * FROM vehicles WHERE tenant_id = 'acme' OR 1=1",
        "SELECT vin FROM vehicles WHERE tenant_id = 'evil' UNION ALL SELECT vin FROM vehicles WHERE tenant_id = 'acme'",
        "SELECT (SELECT string_agg(vin, ',') FROM vehicles v2 WHERE v2.tenant_id = 'acme') AS leak",
        "WITH everything AS (SELECT * FROM vehicles) SELECT * FROM everything WHERE tenant_id <> 'evil'",
        "SELECT * FROM vehicles v WHERE EXISTS (SELECT 1 FROM vehicles w WHERE w.tenant_id = 'acme')",
        "SELECT * FROM ONLY public.vehicles",
        "SELECT v.* FROM vehicles v LEFT JOIN LATERAL (SELECT * FROM vehicles WHERE tenant_id = 'acme') x ON true",
        "WITH RECURSIVE r AS (SELECT vin FROM vehicles WHERE tenant_id = 'acme' UNION SELECT vin FROM r) SELECT * FROM r",
        "SELECT count(*) AS n FROM vehicles WHERE tenant_id = 'acme'",
    })
    void craftedReadsSeeOnlyTheirOwnTenantsRows(String sql) {
        RouterHttp.Reply r = evil(sql);
        assertThat(r.status()).isEqualTo(200);
        r.body().get("rows").forEach(row -> assertThat(row.toString()).doesNotContain("acme"));
        if (sql.contains("count(*)")) {
            assertThat(r.body().get("rows").toString()).isEqualTo("[[0]]");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM vehicles WHERE set_config('fleetshard.tenant_id', 'acme', true) IS NOT NULL",
        "SELECT set_config('fleetshard.tenant_id', 'acme', false)",
        "SELECT pg_catalog.set_config('fleetshard.tenant_sig', 'x', true), * FROM vehicles",
        "SELECT public.fleetshard_bind('acme', 'forged', 'f1', 1000), * FROM vehicles",
        "SELECT public.fleetshard_check_signature('acme', 'forged')",
        "SELECT public.fleetshard_bind_connection('acme', 'forged', 'f1', 1000), * FROM vehicles",
        "WITH x AS (SELECT 1) SELECT * FROM vehicles, LATERAL (SELECT set_config('role', 'fleetshard_owner', true)) s",
        "SELECT secret FROM fleetshard_private.tenant_secret",
        "SELECT tenant_id FROM fleetshard_private.signed_tenant",
        "SELECT query FROM pg_stat_activity",
        "SELECT statement FROM pg_prepared_statements",
        "SELECT pg_advisory_lock(42)",
        "CREATE TEMP TABLE vehicles (tenant_id text, vin text)",
        "CREATE TABLE public.vehicles_copy AS SELECT * FROM vehicles",
        "TRUNCATE vehicles",
        "DROP TABLE vehicles",
        "ALTER TABLE vehicles DISABLE ROW LEVEL SECURITY",
        "CREATE FUNCTION public.leak() RETURNS SETOF vehicles LANGUAGE sql AS 'SELECT * FROM vehicles'",
        "SELECT tenant_id, fleet_id, job_id FROM fleetshard_fence",
        "INSERT INTO fleetshard_fence (tenant_id, fleet_id, job_id) VALUES ('acme', 'f1', 'freeze-acme')",
        "DELETE FROM fleetshard_fence",
        "SELECT set_config('fleetshard.resharder', 'on', true)",
        "SELECT set_config('fleetshard.hidden_fleets', '', true)",
        "SELECT public.fleetshard_bind('evil', 'forged', 'e1', 1000, ''), * FROM vehicles",
        "DROP POLICY fleetshard_stray_fleets ON vehicles",
        "ALTER POLICY fleetshard_stray_fleets ON vehicles USING (true)",
        "ALTER TABLE vehicles DISABLE TRIGGER fleetshard_fence_guard",
    })
    void craftedStatementsThatTryToForgeOrEscapeAreRefusedByTheDatabase(String sql) {
        RouterHttp.Reply r = evil(sql);
        assertThat(r.status()).as(r.detail()).isEqualTo(422);
        assertAcmeUntouched();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT 1; SELECT * FROM vehicles",
        "SET LOCAL fleetshard.tenant_id = 'acme'",
        "SET fleetshard.tenant_sig = 'x'",
        "RESET ALL",
        "RESET fleetshard.tenant_id",
        "BEGIN",
        "COMMIT; SELECT * FROM vehicles",
        "DISCARD ALL",
        "DO $$ BEGIN PERFORM set_config('fleetshard.tenant_id', 'acme', true); END $$",
        "ALTER ROLE CURRENT_USER SET search_path = pg_catalog",
        "COPY vehicles TO STDOUT",
        "SELECT 1 /* */ ; /* */ DELETE FROM vehicles",
        "CALL public.fleetshard_bind('acme', 'forged', 'f1', 1000)",
        "CALL public.fleetshard_bind_connection('evil', 'forged', 'f1', 600000)",
        "DECLARE c CURSOR WITH HOLD FOR SELECT * FROM vehicles",
        "FETCH ALL FROM c",
        "SET LOCAL fleetshard.resharder = 'on'",
        "SET LOCAL fleetshard.hidden_fleets = ''",
        "RESET fleetshard.hidden_fleets",
        "CALL public.fleetshard_bind_connection('evil', 'forged', 'e1', 1000, 'f1')",
    })
    void sessionControlAndMultipleStatementsAreRejectedByTheRouter(String sql) {
        assertThat(evil(sql).status()).isEqualTo(400);
        assertAcmeUntouched();
    }

    @Test
    void writesCannotCreateOrChangeOrDeleteAnotherTenantsRows() {
        RouterHttp.Reply insert = evil("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES"
                + " ('acme', 'f1', 'planted', 'X')");
        assertThat(insert.status()).isEqualTo(422);
        assertThat(insert.detail()).contains("row-level security");
        assertThat(evil("UPDATE vehicles SET status = 'pwned' WHERE tenant_id = 'acme'").body().get("updateCount")
                .asInt()).isZero();
        assertThat(evil("DELETE FROM vehicles WHERE tenant_id = 'acme' OR true").body().get("updateCount").asInt())
                .isEqualTo(1); // its own row only
        assertThat(evil("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('evil', 'e1', 'e0',"
                + " 'EVIL-VIN')").status()).isEqualTo(200);
        RouterHttp.Reply move = evil("UPDATE vehicles SET tenant_id = 'acme' WHERE vehicle_id = 'e0'");
        assertThat(move.status()).isEqualTo(422);
        RouterHttp.Reply upsert = evil("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme', 'f1',"
                + " 'a0') ON CONFLICT (tenant_id, fleet_id, vehicle_id) DO UPDATE SET status = 'pwned'");
        assertThat(upsert.status()).isEqualTo(422);
        RouterHttp.Reply merge = evil("MERGE INTO vehicles v USING (SELECT 'acme' AS t) s ON v.tenant_id = s.t"
                + " WHEN MATCHED THEN UPDATE SET status = 'pwned'");
        assertThat(merge.status()).isEqualTo(200);
        assertThat(merge.body().get("updateCount").asInt()).isZero();
        assertAcmeUntouched();
    }

    /**
     * Connections stay bound to their last tenant (ADR 0016); with a pool of two, acme's and evil's statements keep
     * landing on connections the other one bound last. Evil never sees acme's binding or rows, whether its statement
     * succeeds or fails, or acme's last statement on that connection did.
     */
    @Test
    void aConnectionBoundToOneTenantShowsNothingOfItToTheNext() {
        String evilSig = TenantSigner.sign(PostgresCluster.SECRET, "evil");
        for (int round = 0; round < 12; round++) {
            assertAcmeUntouched();
            if (round % 3 == 1) {
                assertThat(as("acme", "f1", "SELECT 1 / 0").status()).isEqualTo(422);
            }
            if (round % 4 == 2) {
                assertThat(evil("SELECT vin FROM vehicles WHERE vin = 1 / 0::int").status()).isEqualTo(422);
            }
            RouterHttp.Reply r = evil("SELECT current_setting('fleetshard.tenant_id', true),"
                    + " current_setting('fleetshard.tenant_sig', true), current_setting('fleetshard.fleet_id', true),"
                    + " (SELECT count(*) FROM vehicles)");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body().get("rows").toString()).isEqualTo("[[\"evil\",\"" + evilSig + "\",\"e1\",1]]");
        }
    }

    @Test
    void aConnectionBoundToAFleetStillOnlyWritesTheFleetOfEachRequest() {
        assertThat(as("acme", "f1", "SELECT count(*) FROM vehicles").status()).isEqualTo(200);
        RouterHttp.Reply r = as("acme", "f1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme',"
                + " 'f2', 'misplaced-after-bind')");
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.detail()).contains("row-level security");
    }

    @Test
    void writesCanOnlyTouchTheFleetNamedInTheRequest() {
        RouterHttp.Reply r = as("acme", "f1", "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('acme',"
                + " 'f2', 'misplaced')");
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.detail()).contains("row-level security");
    }

    @Test
    void scatterSeesOnlyTheTenantsRows() {
        RouterHttp.Reply r = tokenOf(Role.TENANT_READER, "evil").scatter(Map.of("tenantId", "evil", "sql",
                "SELECT tenant_id, vin FROM vehicles"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.raw().body()).doesNotContain(ACME_VIN);
    }

    /**
     * Aggregating scatter queries are rewritten before they reach the shards (ADR 0014); the rewrite is made of the
     * client's own text, scanned again and bound to the tenant like any statement, so it opens no way around it.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT count(*) FROM vehicles WHERE tenant_id = 'acme' OR true",
        "SELECT count(*), count(vin), min(vin), max(vin), avg(length(vin)) FROM vehicles",
        "SELECT vin, count(*) FROM vehicles GROUP BY vin ORDER BY 2 DESC LIMIT 5",
        "SELECT tenant_id, count(*) AS n FROM vehicles GROUP BY tenant_id",
        "SELECT count(*) FROM vehicles -- GROUP BY\n WHERE vin LIKE '%' /* ) , (SELECT vin */",
        "SELECT max(vin /* ) FROM vehicles WHERE tenant_id = 'acme' -- */) FROM vehicles",
        "SELECT max(vin), count(*) FROM vehicles WHERE vin <> $$' OR true --$$ GROUP BY status",
        "SELECT count(*), max(set_config('fleetshard.tenant_id', 'acme', true)) FROM vehicles",
        "SELECT count(*) FROM vehicles WHERE EXISTS (SELECT 1 FROM vehicles w WHERE w.tenant_id = 'acme')",
        "SELECT sum(length(vin)) FROM vehicles GROUP BY status; SELECT vin FROM vehicles",
        "SELECT count(*) FROM vehicles WHERE vin IN (SELECT string_agg(vin, ',') FROM vehicles)",
    })
    void craftedAggregateScattersSeeOnlyTheirOwnTenantsRows(String sql) {
        RouterHttp.Reply r = tokenOf(Role.TENANT_READER, "evil").scatter(Map.of("tenantId", "evil", "sql",
                sql.replace("\\n", "\n")));
        assertThat(r.raw().body()).as(sql).doesNotContain(ACME_VIN).doesNotContain("acme");
        assertThat(r.status()).as(r.raw().body()).isIn(200, 400, 422);
        if (r.status() == 200) {
            // evil has one vehicle: no count above 1
            JsonNode columns = r.body().get("columns");
            r.body().get("rows").forEach(row -> {
                for (int c = 0; c < columns.size(); c++) {
                    if (columns.get(c).asText().equals("count") || columns.get(c).asText().equals("n")) {
                        assertThat(row.get(c).asLong()).as(sql + " -> " + r.raw().body()).isLessThanOrEqualTo(1);
                    }
                }
            });
        }
        assertAcmeUntouched();
    }

    // ------------------------------------------------------------------ the database alone, as the router's role

    // --- the same attacks through POST /v1/query/batch (ADR 0031): every item is checked as a single request ---

    @Test
    void everyAttackFailsTheSameWayInsideABatch() {
        BatchedAttacks attacks = new BatchedAttacks("evil", "e1", "SELECT tenant_id, vin FROM vehicles",
                "[[\"evil\",\"EVIL-VIN\"]]")
                .add(getClass(), "craftedReadsSeeOnlyTheirOwnTenantsRows", 200, db)
                .add(getClass(), "craftedStatementsThatTryToForgeOrEscapeAreRefusedByTheDatabase", 422, db)
                .add(getClass(), "sessionControlAndMultipleStatementsAreRejectedByTheRouter", 400, db);
        assertThat(attacks.size()).isGreaterThanOrEqualTo(49);
        attacks.runThrough(tokenOf(Role.TENANT_WRITER, "evil"), ACME_VIN);
        assertNothingPlanted();
    }

    @Test
    void aBatchMixingTheCallersTenantWithAnothersRunsOnlyTheCallersOwnItems() {
        RouterHttp.Reply r = tokenOf(Role.TENANT_WRITER, "evil").batch(List.of(
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT vin FROM vehicles"),
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", "SELECT vin FROM vehicles"),
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT),
                Map.of("tenantId", "evil", "fleetId", "f1", "sql", "SELECT vin FROM vehicles"),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT vin FROM vehicles", "tenant", "acme"),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", EVIL_INSERT),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT vin FROM vehicles",
                        "afterToken", "s1@postgres:FFFFFFFF/0"),
                Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT count(*) FROM vehicles")));
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        assertThat(r.raw().body()).doesNotContain(ACME_VIN);
        JsonNode results = r.body().get("results");
        List<Integer> statuses = new ArrayList<>();
        results.forEach(item -> statuses.add(item.get("status").asInt()));
        assertThat(statuses).containsExactly(200, 403, 403, 404, 400, 422, 200, 200);
        assertThat(results.get(0).at("/result/rows").toString()).isEqualTo("[[\"EVIL-VIN\"]]");
        assertThat(results.get(1).at("/problem/detail").asText()).contains("may not reach tenant acme");
        assertThat(results.get(4).at("/problem/detail").asText()).contains("unknown field 'tenant'");
        assertThat(results.get(5).at("/problem/detail").asText()).contains("row-level security");
        assertThat(results.get(7).at("/result/rows").toString()).isEqualTo("[[1]]");
        RouterHttp.Reply reader = tokenOf(Role.TENANT_READER, "acme").batch(List.of(
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", "SELECT count(*) FROM vehicles"),
                Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT)));
        assertThat(reader.body().at("/results/0/result/rows").toString()).isEqualTo("[[3]]");
        assertThat(reader.body().at("/results/1/problem/detail").asText()).contains("may only read");
        assertProblem(tokenOf(Role.OPERATOR, null).batch(List.of(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                "SELECT vin FROM vehicles"))), 403, "role operator may not call POST /v1/query/batch");
        assertNothingPlanted();
    }

    /**
     * An admin's batch alternates two tenants (and failures) on a pool of two connections: each item runs bound to
     * its own tenant, as consecutive single requests would (ADR 0016's record, item by item).
     */
    @Test
    void aBatchAlternatingTenantsBindsEveryItemToItsOwnTenant() {
        String probe = "SELECT current_setting('fleetshard.tenant_id', true), (SELECT count(*) FROM vehicles)";
        List<Map<String, Object>> items = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            boolean acme = i % 2 == 0;
            if (i % 7 == 3) {
                items.add(Map.of("tenantId", acme ? "acme" : "evil", "fleetId", acme ? "f1" : "e1", "sql",
                        "SELECT 1 / 0"));
                expected.add("422");
                continue;
            }
            items.add(Map.of("tenantId", acme ? "acme" : "evil", "fleetId", acme ? "f1" : "e1", "sql", probe));
            expected.add(acme ? "[[\"acme\",3]]" : "[[\"evil\",1]]");
        }
        RouterHttp.Reply r = http.batch(items);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        List<String> seen = new ArrayList<>();
        r.body().get("results").forEach(item -> seen.add(item.get("status").asInt() == 200
                ? item.at("/result/rows").toString() : item.get("status").asText()));
        assertThat(seen).containsExactlyElementsOf(expected);
    }

    /**
     * Consecutive reads of one tenant and fleet in a batch run as one composite statement, in one round trip and one
     * implicit transaction, on a connection bound to that tenant (ADR 0031): they share a transaction timestamp, each
     * still answers its own rows, and a failing read sends the group back to item-by-item answers.
     */
    @Test
    void consecutiveReadsOfOneFleetInABatchRunAsOneStatementEachWithItsOwnAnswer() {
        RouterHttp evilWriter = tokenOf(Role.TENANT_WRITER, "evil");
        String sql = "SELECT transaction_timestamp()::text AS tx, current_setting('fleetshard.tenant_id', true) AS t,"
                + " (SELECT count(*) FROM vehicles) AS n, ? AS item";
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            items.add(Map.of("tenantId", "evil", "fleetId", "e1", "sql", sql, "params", List.of("i" + i)));
        }
        RouterHttp.Reply r = evilWriter.batch(items);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
        java.util.Set<String> transactions = new java.util.HashSet<>();
        for (int i = 0; i < 12; i++) {
            JsonNode row = r.body().at("/results/" + i + "/result/rows/0");
            assertThat(row.get(1).asText()).isEqualTo("evil");
            assertThat(row.get(2).asLong()).isEqualTo(1);
            assertThat(row.get(3).asText()).isEqualTo("i" + i);
            transactions.add(row.get(0).asText());
        }
        // the first may run alone to bind its connection; the rest ran together
        assertThat(transactions).as(r.raw().body()).hasSizeLessThanOrEqualTo(2);

        items.set(5, Map.of("tenantId", "evil", "fleetId", "e1", "sql", "SELECT 1 / 0"));
        RouterHttp.Reply failing = evilWriter.batch(items);
        List<Integer> statuses = new ArrayList<>();
        failing.body().get("results").forEach(item -> statuses.add(item.get("status").asInt()));
        assertThat(statuses).containsExactly(200, 200, 200, 200, 200, 422, 200, 200, 200, 200, 200, 200);
        assertThat(failing.body().at("/results/5/problem/detail").asText()).contains("division by zero");
        assertThat(failing.body().at("/results/11/result/rows/0/3").asText()).isEqualTo("i11");
        assertThat(failing.raw().body()).doesNotContain(ACME_VIN);
    }

    // --- tokens (ADR 0018): the router runs nothing for a request without a valid token of a role that may ---

    private static final String EVIL_INSERT = "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES"
            + " ('acme', 'f1', 'planted', 'PLANTED')";

    private static void assertNothingPlanted() {
        RouterHttp.Reply r = http.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                "SELECT count(*) AS n FROM vehicles WHERE vehicle_id = 'planted'"));
        assertThat(r.body().get("rows").get(0).get(0).asLong()).as(r.raw().body()).isZero();
        assertAcmeUntouched();
    }

    private static void assertProblem(RouterHttp.Reply r, int status, String detail) {
        assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
        assertThat(r.raw().headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(r.detail()).contains(detail);
        if (status == 401) {
            assertThat(r.raw().headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer realm=");
        }
    }

    @Test
    void aRequestWithoutAValidTokenIs401AndRunsNothing() {
        Map<String, Object> insert = Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT);
        assertProblem(new RouterHttp(router.port(), null).query(insert), 401, "needs a token");
        JwtMinter other = JwtMinter.withDefaults("a-different-secret-of-enough-length!!");
        assertProblem(new RouterHttp(router.port(), other.mint("x", Role.ADMIN, null, java.time.Duration.ofHours(1)))
                .query(insert), 401, "signature does not verify");
        JwtMinter expired = new JwtMinter(TestTokens.SECRET, "fleetshard", "fleetshard",
                java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofHours(-3)));
        assertProblem(new RouterHttp(router.port(), expired.mint("x", Role.ADMIN, null, java.time.Duration.ofHours(1)))
                .query(insert), 401, "expired at");
        JwtMinter otherAudience = new JwtMinter(TestTokens.SECRET, "fleetshard", "billing",
                java.time.Clock.systemUTC());
        assertProblem(new RouterHttp(router.port(), otherAudience.mint("x", Role.ADMIN, null,
                java.time.Duration.ofHours(1))).query(insert), 401, "audience");
        JwtMinter otherIssuer = new JwtMinter(TestTokens.SECRET, "someone-else", "fleetshard",
                java.time.Clock.systemUTC());
        assertProblem(new RouterHttp(router.port(), otherIssuer.mint("x", Role.ADMIN, null,
                java.time.Duration.ofHours(1))).query(insert), 401, "issuer");
        assertProblem(new RouterHttp(router.port(), "not-a-jwt").scatter(Map.of("tenantId", "acme", "sql",
                "SELECT vin FROM vehicles")), 401, "not a JWT");
        assertNothingPlanted();
    }

    @Test
    void aTenantTokenNamingAnotherTenantIs403AndRunsNothing() {
        RouterHttp evilWriter = tokenOf(Role.TENANT_WRITER, "evil");
        assertProblem(evilWriter.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT)), 403,
                "token of tenant evil may not reach tenant acme");
        assertProblem(evilWriter.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql", "SELECT vin FROM vehicles")),
                403, "may not reach tenant acme");
        assertProblem(tokenOf(Role.TENANT_READER, "evil").scatter(Map.of("tenantId", "acme", "sql",
                "SELECT vin FROM vehicles")), 403, "may not reach tenant acme");
        assertNothingPlanted();
    }

    @Test
    void aTenantReaderReadsItsOwnRowsAndIs403OnAnyWrite() {
        RouterHttp reader = tokenOf(Role.TENANT_READER, "acme");
        RouterHttp.Reply read = reader.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                "SELECT count(*) AS n FROM vehicles"));
        assertThat(read.status()).as(read.raw().body()).isEqualTo(200);
        assertThat(read.body().get("rows").get(0).get(0).asLong()).isEqualTo(3);
        assertProblem(reader.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql", EVIL_INSERT)), 403,
                "tenant-reader token may only read");
        assertProblem(reader.query(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                "UPDATE vehicles SET status = 'stolen'")), 403, "may only read");
        assertNothingPlanted();
    }

    @Test
    void anOperatorTokenReachesNoTenantRows() {
        assertProblem(tokenOf(Role.OPERATOR, null).query(Map.of("tenantId", "acme", "fleetId", "f1", "sql",
                "SELECT vin FROM vehicles")), 403, "role operator may not call POST /v1/query");
        assertProblem(tokenOf(Role.OPERATOR, null).scatter(Map.of("tenantId", "acme", "sql",
                "SELECT vin FROM vehicles")), 403, "role operator may not call POST /v1/query/scatter");
    }

    @Test
    void healthReadinessAndMetricsNeedNoToken() {
        RouterHttp anonymous = new RouterHttp(router.port(), null);
        assertThat(anonymous.get("/healthz")).contains("up");
        assertThat(anonymous.get("/readyz")).contains("ready");
        assertThat(anonymous.get("/metrics")).contains("fleetshard_router");
    }

    private static Connection appConnection() throws SQLException {
        return DriverManager.getConnection(pg.primary.jdbcUrl(db, FleetSchema.DEFAULT_APP_ROLE));
    }

    /** Runs bind(evil) and {@code sql} in one implicit transaction, as the router does, and returns the last result. */
    private static List<String> asEvilInOneTransaction(String sql) throws SQLException {
        try (Connection c = appConnection(); PreparedStatement ps = c.prepareStatement(PostgresDialect.wrap(sql))) {
            ps.setString(1, "evil");
            ps.setString(2, TenantSigner.sign(PostgresCluster.SECRET, "evil"));
            ps.setString(3, "e1");
            ps.setInt(4, 5000);
            ps.setString(5, "");
            ps.execute();
            List<String> out = new ArrayList<>();
            // a CALL has no update count, so "no more results" cannot be told from it: walk a fixed number
            for (int i = 0; i < 10; i++) {
                if (ps.getMoreResults()) {
                    try (ResultSet rs = ps.getResultSet()) {
                        out.clear();
                        while (rs.next()) {
                            out.add(rs.getString(1));
                        }
                    }
                }
            }
            return out;
        }
    }

    @Test
    void withoutABindTheRoleSeesNothingAndCannotWrite() throws SQLException {
        try (Connection c = appConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM vehicles")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
            assertThatThrownBy(() -> st.execute("INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES"
                    + " ('acme', 'f1', 'x')")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("row-level security");
        }
    }

    @Test
    void forgedTransactionSettingsFailTheSignatureCheck() throws SQLException {
        assertThat(asEvilInOneTransaction("SET LOCAL fleetshard.tenant_id = 'acme';"
                + " SELECT vin FROM vehicles WHERE tenant_id = 'acme'")).isEmpty();
        assertThat(asEvilInOneTransaction("SET LOCAL fleetshard.tenant_id = 'acme';"
                + " SET LOCAL fleetshard.tenant_sig = '" + TenantSigner.sign("guessed-secret-123456", "acme") + "';"
                + " SELECT vin FROM vehicles")).isEmpty();
        assertThat(asEvilInOneTransaction("RESET ALL; SELECT vin FROM vehicles")).isEmpty();
        assertThat(asEvilInOneTransaction("RESET fleetshard.tenant_sig; SELECT vin FROM vehicles")).isEmpty();
        assertThat(asEvilInOneTransaction("SELECT vin FROM vehicles")).containsExactly("EVIL-VIN");
    }

    /**
     * What connection binding (ADR 0016) relies on: the session binding is made in the statement's transaction, so a
     * failed transaction leaves the binding the connection had; a forged one binds nothing.
     */
    @Test
    void aConnectionBindingIsUndoneWithItsTransactionAndCannotBeForged() throws SQLException {
        try (Connection c = appConnection(); Statement st = c.createStatement()) {
            try (PreparedStatement ps = c.prepareStatement(PostgresDialect.wrapBindingConnection(
                    "SELECT count(*) FROM vehicles"))) {
                ps.setString(1, "evil");
                ps.setString(2, TenantSigner.sign(PostgresCluster.SECRET, "evil"));
                ps.setString(3, "e1");
                ps.setInt(4, 5000);
                ps.setString(5, "");
                ps.execute();
            }
            assertThat(single(st, "SELECT string_agg(vin, ',') FROM vehicles")).isEqualTo("EVIL-VIN");
            try (PreparedStatement ps = c.prepareStatement(PostgresDialect.wrapBindingConnection("SELECT 1 / 0"))) {
                ps.setString(1, "acme");
                ps.setString(2, TenantSigner.sign(PostgresCluster.SECRET, "acme"));
                ps.setString(3, "f1");
                ps.setInt(4, 5000);
                ps.setString(5, "");
                assertThatThrownBy(ps::execute).isInstanceOf(SQLException.class);
            }
            st.execute("ROLLBACK");
            assertThat(single(st, "SELECT current_setting('fleetshard.tenant_id')")).isEqualTo("evil");
            assertThat(single(st, "SELECT string_agg(vin, ',') FROM vehicles")).isEqualTo("EVIL-VIN");
            st.execute("CALL public.fleetshard_bind_connection('acme', 'forged', 'f1', 1000)");
            assertThat(single(st, "SELECT count(*) FROM vehicles")).isEqualTo("0");
        }
    }

    /**
     * ADR 0051: the fleets a scatter leg hides. A placeholder setting may be set by any role with {@code SET} (the
     * router's scanner refuses it; {@code set_config} is revoked), so straight against the database the router's role
     * can clear or forge it: it still sees only the bound tenant's rows, the restrictive policy can only hide.
     */
    @Test
    void theHiddenFleetsSettingCanOnlyHideTheBoundTenantsOwnRows() throws SQLException {
        try (Connection c = appConnection(); Statement st = c.createStatement();
             PreparedStatement bind = c.prepareStatement(
                     "CALL public.fleetshard_bind_connection(?, ?, NULL, 5000, ?)")) {
            bind.setString(1, "acme");
            bind.setString(2, TenantSigner.sign(PostgresCluster.SECRET, "acme"));
            bind.setString(3, "f1");
            bind.execute();
            assertThat(single(st, "SELECT count(*) FROM vehicles")).isEqualTo("0");
            assertThatThrownBy(() -> st.execute("SELECT set_config('fleetshard.hidden_fleets', '', false)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
            bind.setString(3, "f1x,,f");
            bind.execute();
            assertThat(single(st, "SELECT count(*) FROM vehicles")).isEqualTo("3");
            bind.setString(1, "evil");
            bind.setString(2, TenantSigner.sign(PostgresCluster.SECRET, "evil"));
            for (String hidden : List.of("", "f1", "{}", "e1x", "' OR true --")) {
                bind.setString(3, hidden);
                bind.execute();
                assertThat(single(st, "SELECT count(*) FROM vehicles WHERE tenant_id = 'acme'")).as(hidden)
                        .isEqualTo("0");
            }
            st.execute("SET fleetshard.hidden_fleets = ''");
            assertThat(single(st, "SELECT count(*) FROM vehicles WHERE tenant_id = 'acme'")).isEqualTo("0");
            st.execute("RESET fleetshard.hidden_fleets");
            assertThat(single(st, "SELECT count(*) FROM vehicles WHERE tenant_id = 'acme'")).isEqualTo("0");
        }
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aBindWithASignatureOfAnotherSecretIsRefused() throws SQLException {
        try (Connection c = appConnection();
             PreparedStatement ps = c.prepareStatement("SELECT public.fleetshard_check_signature(?, ?)")) {
            ps.setString(1, "acme");
            ps.setString(2, TenantSigner.sign("another-secret-0123456789", "acme"));
            assertThatThrownBy(ps::execute).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getSQLState()).isEqualTo(PostgresDialect.SIGNATURE_REJECTED));
        }
    }

    @Test
    void theRouterRoleIsAPlainLoginRoleThatOwnsNoTable() throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.primary.jdbcUrl(db)); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb,"
                     + " (SELECT count(*) FROM pg_class WHERE relowner = r.oid),"
                     + " (SELECT bool_and(relforcerowsecurity AND relrowsecurity) FROM pg_class"
                     + "   WHERE relname IN ('vehicles', 'telemetry') AND relnamespace = 'public'::regnamespace)"
                     + " FROM pg_roles r WHERE rolname = 'fleetshard_app'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as("superuser").isFalse();
            assertThat(rs.getBoolean(2)).as("bypassrls").isFalse();
            assertThat(rs.getBoolean(3)).isFalse();
            assertThat(rs.getBoolean(4)).isFalse();
            assertThat(rs.getLong(5)).as("relations owned").isZero();
            assertThat(rs.getBoolean(6)).as("RLS enabled and forced").isTrue();
        }
    }

    @Test
    void installingTheSchemaAgainChangesNothing() {
        FleetSchema.install(pg.primary.jdbcUrl(db), PostgresCluster.SECRET);
        assertAcmeUntouched();
    }
}
