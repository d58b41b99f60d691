package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the single-request attacks of an isolation suite again through {@code POST /v1/query/batch} (ADR 0031): the
 * statements of a suite's {@code @ValueSource}, each as one item of the attacker's tenant, each followed by a probe
 * item that must see exactly the attacker's own rows. Every attack must get the status it gets alone, and nothing an
 * attack did may reach the probe after it in the same request.
 */
final class BatchedAttacks {
    /** Items per request: each attack and its probe, well below the router's default limit of 64. */
    private static final int ATTACKS_PER_BATCH = 24;

    private final String tenant;
    private final String fleet;
    private final String probeSql;
    private final String probeRows;
    private final Map<String, Integer> expected = new LinkedHashMap<>();

    /**
     * @param probeSql a read of the attacker's tenant, run after every attack
     * @param probeRows its rows as JSON, the attacker's own only
     */
    BatchedAttacks(String tenant, String fleet, String probeSql, String probeRows) {
        this.tenant = tenant;
        this.fleet = fleet;
        this.probeSql = probeSql;
        this.probeRows = probeRows;
    }

    /** Adds the statements of {@code test}'s {@code @ValueSource} method {@code method}, each expecting {@code status}. */
    BatchedAttacks add(Class<?> test, String method, int status, String dbName) {
        try {
            for (String sql : test.getDeclaredMethod(method, String.class).getAnnotation(ValueSource.class).strings()) {
                expected.put(sql.replace("%DB%", dbName), status);
            }
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("no @ValueSource test " + method + " in " + test.getSimpleName(), e);
        }
        return this;
    }

    int size() {
        return expected.size();
    }

    /**
     * Sends every attack through {@code http}'s batch endpoint and checks each item; returns every item's result
     * text, for more checks.
     */
    String runThrough(RouterHttp http, String forbiddenText) {
        List<String> sqls = new ArrayList<>(expected.keySet());
        StringBuilder all = new StringBuilder();
        for (int from = 0; from < sqls.size(); from += ATTACKS_PER_BATCH) {
            List<String> chunk = sqls.subList(from, Math.min(sqls.size(), from + ATTACKS_PER_BATCH));
            List<Map<String, Object>> items = new ArrayList<>();
            for (String sql : chunk) {
                items.add(Map.of("tenantId", tenant, "fleetId", fleet, "sql", sql));
                items.add(Map.of("tenantId", tenant, "fleetId", fleet, "sql", probeSql));
            }
            RouterHttp.Reply r = http.batch(items);
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            assertThat(r.raw().body()).doesNotContain(forbiddenText);
            JsonNode results = r.body().get("results");
            assertThat(results).hasSize(items.size());
            for (int i = 0; i < chunk.size(); i++) {
                String sql = chunk.get(i);
                JsonNode attack = results.get(2 * i);
                assertThat(attack.get("status").asInt()).as(sql + " -> " + attack).isEqualTo(expected.get(sql));
                if (expected.get(sql) == 200) {
                    attack.at("/result/rows").forEach(row -> assertThat(row.toString()).as(sql)
                            .doesNotContain("acme"));
                    if (sql.contains("count(*)")) {
                        assertThat(attack.at("/result/rows").toString()).as(sql).isEqualTo("[[0]]");
                    }
                } else {
                    assertThat(attack.at("/problem/status").asInt()).isEqualTo(expected.get(sql));
                }
                JsonNode probe = results.get(2 * i + 1);
                assertThat(probe.get("status").asInt()).as("probe after " + sql + " -> " + probe).isEqualTo(200);
                assertThat(probe.at("/result/rows").toString()).as("probe after " + sql).isEqualTo(probeRows);
            }
            all.append(r.raw().body());
        }
        return all.toString();
    }
}
