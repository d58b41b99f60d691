package io.fleetshard.client;

import static io.fleetshard.client.FakeServer.Answer.json;
import static io.fleetshard.client.FakeServer.Answer.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests of a fleet go to the router in the region of the fleet's primary, learnt from the control API. */
class RegionRoutingTest {
    static final String TENANT_V3 = "{\"tenantId\":\"acme\",\"tier\":\"standard\",\"fleetCount\":3,\"mapVersion\":3}";

    /** An answer without a shard id, so that it does not correct the cached placements. */
    static final String ANSWER = "{\"columns\":[],\"columnTypes\":[],\"rows\":[]}";

    private final FakeServer control = new FakeServer();
    private final FakeServer eu = new FakeServer();
    private final FakeServer us = new FakeServer();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-05T10:00:00Z"));
    private FleetShardClient client;

    @BeforeEach
    void start() {
        // only what a tenant token may read: the tenant and its fleets' placements, with their primaries' regions
        control.on("/v1/tenants/acme", json(200, TENANT_V3))
                .on("/v1/tenants/acme/fleets/trucks", json(200, placement("trucks", "pg-1", "eu-west-1", 3)))
                .on("/v1/tenants/acme/fleets/ships", json(200, placement("ships", "maria-1", "us-east-1", 3)))
                .on("/v1/tenants/acme/fleets/boats", json(200, placement("boats", "ap-1", "ap-south-1", 3)));
        for (FakeServer router : new FakeServer[] {eu, us}) {
            router.on("/v1/query", json(200, ANSWER));
        }
        client = FleetShardClient.builder().router(eu.url()).router("eu-west-1", eu.url())
                .router("us-east-1", us.url()).controlApi(control.url()).mapRefreshInterval(Duration.ofSeconds(30))
                .clock(clock).sleeper(new RecordingSleeper()).build();
    }

    @AfterEach
    void stop() {
        client.close();
        control.close();
        eu.close();
        us.close();
    }

    static String placement(String fleet, String shard, String primaryRegion, long version) {
        return "{\"tenantId\":\"acme\",\"fleetId\":\"" + fleet + "\",\"shardId\":\"" + shard
                + "\",\"pinned\":false,\"primaryRegion\":\"" + primaryRegion + "\",\"mapVersion\":" + version + "}";
    }

    @Test
    void sendsEachFleetToTheRouterOfItsPrimarysRegion() {
        client.query("acme", "ships", "SELECT 1");
        client.query("acme", "trucks", "SELECT 1");
        client.query("acme", "ships", "SELECT 1");

        assertThat(us.requests("/v1/query")).hasSize(2);
        assertThat(eu.requests("/v1/query")).hasSize(1);
        // each placement is read once, and nothing a tenant token may not read
        assertThat(control.requests("/v1/tenants/acme/fleets/ships")).hasSize(1);
        assertThat(control.requests()).allMatch(r -> r.path().startsWith("/v1/tenants/acme"));
    }

    @Test
    void usesTheDefaultRouterForARegionWithoutARouterOrAnUnknownFleet() {
        client.query("acme", "boats", "SELECT 1");
        client.query("acme", "unknown", "SELECT 1");
        assertThat(eu.requests("/v1/query")).hasSize(2);
        assertThat(us.requests()).isEmpty();
    }

    @Test
    void checksTheMapVersionAfterTheRefreshIntervalAndReloadsOnlyWhenItChanged() {
        client.query("acme", "ships", "SELECT 1");
        clock.advance(Duration.ofSeconds(31));
        client.query("acme", "ships", "SELECT 1");
        assertThat(control.requests("/v1/tenants/acme")).hasSize(1);
        assertThat(control.requests("/v1/tenants/acme/fleets/ships")).hasSize(1);

        // ships moved to pg-1 (eu) in version 4
        control.on("/v1/tenants/acme", json(200, TENANT_V3.replace("\"mapVersion\":3", "\"mapVersion\":4")))
                .on("/v1/tenants/acme/fleets/ships", json(200, placement("ships", "pg-1", "eu-west-1", 4)));
        clock.advance(Duration.ofSeconds(31));
        client.query("acme", "ships", "SELECT 1");

        assertThat(control.requests("/v1/tenants/acme")).hasSize(2);
        assertThat(control.requests("/v1/tenants/acme/fleets/ships")).hasSize(2);
        assertThat(eu.requests("/v1/query")).hasSize(1);
        assertThat(us.requests("/v1/query")).hasSize(2);
    }

    @Test
    void learnsAMoveFromTheRoutersAnswerBeforeTheNextRefresh() {
        client.query("acme", "trucks", "SELECT 1"); // pg-1: eu
        eu.on("/v1/query", json(200, "{\"shardId\":\"maria-1\",\"columns\":[],\"columnTypes\":[],\"rows\":[]}"));
        control.on("/v1/tenants/acme/fleets/trucks", json(200, placement("trucks", "maria-1", "us-east-1", 4)));
        client.query("acme", "trucks", "SELECT 1"); // the router says maria-1 ran it now: read the placement again
        client.query("acme", "trucks", "SELECT 1");
        assertThat(control.requests("/v1/tenants/acme/fleets/trucks")).hasSize(2);
        assertThat(eu.requests("/v1/query")).hasSize(2);
        assertThat(us.requests("/v1/query")).hasSize(1);
    }

    @Test
    void aControlApiThatIsDownLeavesTheDefaultRouterAndIsAskedAgainOnlyAfterTheInterval() {
        control.on("/v1/tenants/acme/fleets/ships", problem(503, "unavailable", "Service unavailable",
                "map log unreachable"));
        client.query("acme", "ships", "SELECT 1");
        client.query("acme", "ships", "SELECT 1");
        assertThat(eu.requests("/v1/query")).hasSize(2);
        assertThat(control.requests("/v1/tenants/acme/fleets/ships")).hasSize(1);

        control.on("/v1/tenants/acme/fleets/ships", json(200, placement("ships", "maria-1", "us-east-1", 3)));
        clock.advance(Duration.ofSeconds(31));
        client.query("acme", "ships", "SELECT 1");
        assertThat(us.requests("/v1/query")).hasSize(1);
    }

    @Test
    void fallsBackToTheDefaultRouterWhenTheRegionalOneRefusesConnections() {
        us.close();
        client.query("acme", "ships", "SELECT 1");
        assertThat(eu.requests("/v1/query")).hasSize(1);
    }

    @Test
    void sendsAScatterToTheRouterOfItsPreferredRegion() {
        us.on("/v1/query/scatter", json(200, """
                {"tenantId":"acme","shards":[],"columns":[],"columnTypes":[],"rows":[],"partial":false,
                 "shardCount":0}"""));
        client.scatter(ScatterRequest.builder("acme", "SELECT 1").region("us-east-1").build());
        assertThat(us.requests("/v1/query/scatter")).hasSize(1);
        assertThat(us.requests("/v1/query/scatter").get(0).json().get("region").asText()).isEqualTo("us-east-1");
    }
}
