package io.fleetshard.client;

import static io.fleetshard.client.FakeServer.Answer.json;
import static io.fleetshard.client.FakeServer.Answer.problem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The session remembers each write's token and sends it with later reads of the fleet. */
class ReadYourWritesTest {
    static final String TOKEN = "s1@postgres:0/16B3748";
    static final String WRITE_OK = RetriesTest.WRITE_OK;
    static final String READ_OK = RetriesTest.READ_OK;
    static final String INSERT = "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES (?, ?, ?)";
    static final String SELECT = "SELECT count(*) AS n FROM vehicles";

    private final FakeServer router = new FakeServer();
    private final FleetShardClient client = FleetShardClient.builder().router(router.url())
            .defaultConsistency(Consistency.READ_YOUR_WRITES).sleeper(new RecordingSleeper()).build();

    @AfterEach
    void stop() {
        client.close();
        router.close();
    }

    private JsonNode lastQueryBody() {
        List<FakeServer.Request> q = router.requests("/v1/query");
        return q.get(q.size() - 1).json();
    }

    private void write(Session s, String fleet) {
        router.on("/v1/query", json(200, WRITE_OK));
        s.query("acme", fleet, INSERT, "acme", fleet, "v1");
        router.on("/v1/query", json(200, READ_OK));
    }

    @Test
    void aReadAfterAWriteOfTheSameFleetCarriesItsToken() {
        Session s = client.session();
        write(s, "trucks");
        assertThat(s.lastWriteToken("acme", "trucks")).contains(TOKEN);

        s.query("acme", "trucks", SELECT);
        assertThat(lastQueryBody().get("afterToken").asText()).isEqualTo(TOKEN);
        assertThat(lastQueryBody().get("consistency").asText()).isEqualTo("eventual");
    }

    @Test
    void readsBeforeAnyWriteOrOfAnotherFleetCarryNoToken() {
        router.on("/v1/query", json(200, READ_OK));
        Session s = client.session();
        s.query("acme", "trucks", SELECT);
        assertThat(lastQueryBody().has("afterToken")).isFalse();

        write(s, "trucks");
        s.query("acme", "vans", SELECT);
        assertThat(lastQueryBody().has("afterToken")).isFalse();
        s.query("other", "trucks", SELECT);
        assertThat(lastQueryBody().has("afterToken")).isFalse();
    }

    @Test
    void sessionsKeepTheirTokensApart() {
        Session writer = client.session();
        write(writer, "trucks");
        client.session().query("acme", "trucks", SELECT);
        assertThat(lastQueryBody().has("afterToken")).isFalse();
    }

    @Test
    void theClientsOwnQueriesShareOneSession() {
        router.on("/v1/query", json(200, WRITE_OK));
        client.query("acme", "trucks", INSERT, "acme", "trucks", "v1");
        router.on("/v1/query", json(200, READ_OK));
        client.query("acme", "trucks", SELECT);
        assertThat(lastQueryBody().get("afterToken").asText()).isEqualTo(TOKEN);
    }

    @Test
    void strongAndEventualReadsCarryNoTokenButBoundedReadsDo() {
        Session s = client.session();
        write(s, "trucks");
        s.query(QueryRequest.builder("acme", "trucks", SELECT).consistency(Consistency.STRONG).build());
        assertThat(lastQueryBody().get("consistency").asText()).isEqualTo("strong");
        assertThat(lastQueryBody().has("afterToken")).isFalse();

        s.query(QueryRequest.builder("acme", "trucks", SELECT).consistency(Consistency.EVENTUAL).build());
        assertThat(lastQueryBody().has("afterToken")).isFalse();

        s.query(QueryRequest.builder("acme", "trucks", SELECT)
                .consistency(Consistency.bounded(Duration.ofMillis(250))).region("eu-west-1").build());
        JsonNode body = lastQueryBody();
        assertThat(body.get("consistency").asText()).isEqualTo("bounded");
        assertThat(body.get("maxStalenessMs").asLong()).isEqualTo(250);
        assertThat(body.get("region").asText()).isEqualTo("eu-west-1");
        assertThat(body.get("afterToken").asText()).isEqualTo(TOKEN);
    }

    @Test
    void anExplicitAfterTokenWins() {
        Session s = client.session();
        write(s, "trucks");
        s.query(QueryRequest.builder("acme", "trucks", SELECT).afterToken("s1@postgres:0/FFFFFF").build());
        assertThat(lastQueryBody().get("afterToken").asText()).isEqualTo("s1@postgres:0/FFFFFF");
    }

    @Test
    void aTokenOfAShardTheFleetLeftIsDroppedAndTheReadGoesStrong() {
        Session s = client.session();
        write(s, "trucks");
        router.on("/v1/query", problem(400, "bad-request", "Bad request", "afterToken " + TOKEN
                + " was issued by shard s1 but fleet trucks of tenant acme lives on shard s2 (postgres)"),
                json(200, READ_OK));

        QueryResult r = s.query("acme", "trucks", SELECT);

        assertThat(r.rows()).hasSize(1);
        List<FakeServer.Request> q = router.requests("/v1/query");
        JsonNode retried = q.get(q.size() - 1).json();
        assertThat(retried.has("afterToken")).isFalse();
        assertThat(retried.get("consistency").asText()).isEqualTo("strong");
        assertThat(s.lastWriteToken("acme", "trucks")).isEmpty();
    }

    @Test
    void anExplicitTokenTheRouterRefusesIsTheCallersError() {
        router.on("/v1/query", problem(400, "bad-request", "Bad request", "afterToken 'x' is not a consistency"
                + " token returned by a write: expected <shardId>@<engine>:<position>"));
        Session s = client.session();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.query(
                QueryRequest.builder("acme", "trucks", SELECT).afterToken("x").build()))
                .isInstanceOf(InvalidQueryException.class);
        assertThat(router.requests("/v1/query")).hasSize(1);
    }

    @Test
    void aScatterOfATenantTheSessionWroteGoesStrong() {
        router.on("/v1/query/scatter", json(200, """
                {"tenantId":"acme","shards":[],"columns":[],"columnTypes":[],"rows":[],"partial":false,
                 "shardCount":0}"""));
        Session s = client.session();
        s.scatter("acme", SELECT);
        assertThat(router.requests("/v1/query/scatter").get(0).json().get("consistency").asText())
                .isEqualTo("eventual");
        write(s, "trucks");
        s.scatter("acme", SELECT);
        assertThat(router.requests("/v1/query/scatter").get(1).json().get("consistency").asText())
                .isEqualTo("strong");
    }
}
