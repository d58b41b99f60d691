package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QueryRequestParserTest {

    private static QueryRequest query(String json) {
        return QueryRequestParser.parseQuery(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ScatterRequest scatter(String json) {
        return QueryRequestParser.parseScatter(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAFullQueryRequest() {
        QueryRequest r = query("""
                {"tenantId":"acme","fleetId":"f1","sql":"select ?","params":[1, 2.5, "x", true, null,
                 123456789012345678901234567890],"consistency":"bounded","maxStalenessMs":250,"region":"eu-west-1",
                 "afterToken":"s1@postgres:0/3000148"}""");
        assertThat(r.tenantId()).isEqualTo("acme");
        assertThat(r.fleetId()).isEqualTo("f1");
        assertThat(r.params()).containsExactly(1L, new BigDecimal("2.5"), "x", true, null,
                new BigDecimal("123456789012345678901234567890"));
        assertThat(r.read().consistency()).isEqualTo(Consistency.BOUNDED);
        assertThat(r.read().maxStalenessMs()).isEqualTo(250);
        assertThat(r.read().region()).isEqualTo("eu-west-1");
        assertThat(r.read().after().shardId()).isEqualTo("s1");
        assertThat(r.read().after().position()).isEqualTo(Lsn.parse("0/3000148"));
    }

    @Test
    void defaultsToStrongWithoutParams() {
        QueryRequest r = query("{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}");
        assertThat(r.read()).isSameAs(ReadPreference.STRONG);
        assertThat(r.params()).isEmpty();
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{|request body is not valid JSON",
        "[]|request body must be a JSON object",
        "''|request body is empty",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\"}|sql is required",
        "{\"fleetId\":\"f1\",\"sql\":\"select 1\"}|tenantId is required",
        "{\"tenantId\":\"acme\",\"sql\":\"select 1\"}|fleetId is required",
        "{\"tenantId\":\"ac me\",\"fleetId\":\"f1\",\"sql\":\"select 1\"}|tenantId must be 1-64 characters",
        "{\"tenantId\":7,\"fleetId\":\"f1\",\"sql\":\"select 1\"}|tenantId must be a string, got an integer",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"  \"}|sql must not be blank",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"params\":{}}|params must be an array",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"params\":[[1]]}|params[0] must be a string, number, boolean or null, got an array",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"consistency\":\"fresh\"}|consistency must be one of strong, bounded, eventual, got 'fresh'",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"consistency\":\"bounded\"}|consistency 'bounded' needs maxStalenessMs",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"consistency\":\"bounded\",\"maxStalenessMs\":-1}|maxStalenessMs must be >= 0, got -1",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"maxStalenessMs\":1.5}|maxStalenessMs must be an integer, got a decimal number",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"afterToken\":\"garbage\"}|afterToken 'garbage' is not a consistency token",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"afterToken\":\"s1@postgres:zz\"}|not a PostgreSQL LSN",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\",\"consistancy\":\"strong\"}|unknown field 'consistancy'",
        "{\"tenantId\":\"acme\",\"tenantId\":\"evil\",\"fleetId\":\"f1\",\"sql\":\"x\"}|Duplicate field 'tenantId'",
        "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"x\"} {}|exactly one JSON object",
    })
    void rejectsBadQueryBodiesWith400(String json, String message) {
        assertThatThrownBy(() -> query(json)).isInstanceOfSatisfying(ApiProblem.class, p -> {
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.detail()).contains(message);
        });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "1e999999999", "-1e999999999", "1e131072", "12345678901234567890e999999990", "1e-999999999", "1e-16384",
        "1e9999999999", "1e-9999999999",
    })
    void rejectsDecimalParamsNoDatabaseNumberCanHold(String number) {
        // each of these once reached a driver: 0 was bound, a 500 answered, or the router ran out of memory
        String body = "{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select ?, ?\",\"params\":[1, "
                + number + "]}";
        assertThatThrownBy(() -> query(body)).isInstanceOfSatisfying(ApiProblem.class, p -> {
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.detail()).startsWith("params[1] is out of range for a database number")
                    .contains("131072 digits before the decimal point").contains("got " + number);
        });
        assertThatThrownBy(() -> scatter("{\"tenantId\":\"acme\",\"sql\":\"select ?\",\"params\":[" + number
                + "]}")).isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.status()).isEqualTo(400));
    }

    @Test
    void aBatchItemWithAnOutOfRangeDecimalFailsAlone() {
        var items = QueryRequestParser.parseBatch(("{\"queries\":[{\"tenantId\":\"acme\",\"fleetId\":\"f1\","
                + "\"sql\":\"select ?\",\"params\":[1e999999999]},{\"tenantId\":\"acme\",\"fleetId\":\"f1\","
                + "\"sql\":\"select 1\"}]}").getBytes(StandardCharsets.UTF_8), 64);
        assertThat(items.get(0).problem().status()).isEqualTo(400);
        assertThat(items.get(0).problem().detail()).startsWith("queries[0]: params[0] is out of range");
        assertThat(items.get(1).request()).isNotNull();
    }

    @Test
    void keepsDecimalParamsUpToTheDatabaseLimits() {
        QueryRequest r = query("{\"tenantId\":\"acme\",\"fleetId\":\"f1\",\"sql\":\"select ?, ?, ?\","
                + "\"params\":[1e131071, 1e-16383, -0.0]}");
        assertThat(r.params()).containsExactly(new BigDecimal("1e131071"), new BigDecimal("1e-16383"),
                new BigDecimal("-0.0"));
    }

    @Test
    void readsAScatterRequest() {
        ScatterRequest r = scatter("""
                {"tenantId":"acme","sql":"select * from vehicles","orderBy":"updated_at desc, vehicle_id",
                 "limit":10,"allowPartial":true}""");
        assertThat(r.limit()).isEqualTo(10);
        assertThat(r.allowPartial()).isTrue();
        assertThat(r.orderBy()).extracting(OrderBy.Term::column).containsExactly("updated_at", "vehicle_id");
        assertThat(r.orderBy().get(0).descending()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"tenantId\":\"acme\",\"sql\":\"x\",\"limit\":-1}|limit must be between 0 and",
        "{\"tenantId\":\"acme\",\"sql\":\"x\",\"limit\":\"10\"}|limit must be an integer, got a string",
        "{\"tenantId\":\"acme\",\"sql\":\"x\",\"orderBy\":\"a desc desc\"}|orderBy 'a desc desc' has",
        "{\"tenantId\":\"acme\",\"sql\":\"x\",\"orderBy\":\"a,,b\"}|an empty term",
        "{\"tenantId\":\"acme\",\"sql\":\"x\",\"fleetId\":\"f1\"}|unknown field 'fleetId'",
        "{\"tenantId\":\"acme\",\"sql\":\"x\",\"allowPartial\":\"yes\"}|allowPartial must be true or false",
    })
    void rejectsBadScatterBodiesWith400(String json, String message) {
        assertThatThrownBy(() -> scatter(json)).isInstanceOfSatisfying(ApiProblem.class, p -> {
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.detail()).contains(message);
        });
    }

    @Test
    void aLongInvalidIdIsTruncatedInTheMessage() {
        char[] id = new char[5000];
        Arrays.fill(id, ' ');
        assertThatThrownBy(() -> query("{\"tenantId\":\"" + new String(id) + "\"}"))
                .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.detail()).hasSizeLessThan(300));
    }
}
