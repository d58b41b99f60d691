package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.shard;
import static io.fleetshard.controlapi.ApiHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FleetEndpointsTest {
    private final InMemoryShardMap map = new InMemoryShardMap(ShardMapSnapshot.of(7,
            List.of(Shard.withDefaultTokens("old", ShardStatus.RETIRED, Engine.POSTGRES, 8))));
    private final ApiHarness h = new ApiHarness(map, map);

    @AfterEach
    void stop() {
        h.close();
    }

    private void tenantAndTwoShards() {
        assertThat(h.post("/v1/tenants", tenant("acme", "standard")).status()).isEqualTo(201);
        assertThat(h.post("/v1/shards", shard("s1", "s1-a")).status()).isEqualTo(201);
        assertThat(h.post("/v1/shards", shard("s2", "s2-a")).status()).isEqualTo(201);
    }

    @Test
    void ringPlacesAnUnpinnedFleetAndGetShowsTheSamePlacement() {
        tenantAndTwoShards();

        ApiHarness.Response created = h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\"}");

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Location")).isEqualTo("/v1/tenants/acme/fleets/trucks");
        JsonNode placement = created.json();
        String expectedShard = map.current().shardFor(map.current().fleet("acme", "trucks").orElseThrow());
        assertThat(placement.path("tenantId").asText()).isEqualTo("acme");
        assertThat(placement.path("fleetId").asText()).isEqualTo("trucks");
        assertThat(placement.path("shardId").asText()).isEqualTo(expectedShard).isIn("s1", "s2");
        assertThat(placement.path("pinned").asBoolean()).isFalse();
        assertThat(placement.path("mapVersion").asLong()).isEqualTo(11).isEqualTo(map.current().version());

        ApiHarness.Response read = h.get("/v1/tenants/acme/fleets/trucks");
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json()).isEqualTo(placement);
        assertThat(h.get("/v1/tenants/acme").json().path("fleetCount").asInt()).isEqualTo(1);
    }

    @Test
    void pinnedFleetLivesOnItsShard() {
        tenantAndTwoShards();
        String other = map.current().shardForToken(io.fleetshard.shardmap.FleetToken.of("acme", "vans")).equals("s1")
                ? "s2" : "s1";

        JsonNode placement = h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"vans\",\"shardId\":\"" + other + "\"}")
                .json();

        assertThat(placement.path("shardId").asText()).isEqualTo(other);
        assertThat(placement.path("pinned").asBoolean()).isTrue();
        assertThat(h.get("/v1/tenants/acme/fleets/vans").json().path("shardId").asText()).isEqualTo(other);
        assertThat(map.current().fleet("acme", "vans").orElseThrow().pinnedShardId()).isEqualTo(other);
    }

    @Test
    void existingFleetIsConflict() {
        tenantAndTwoShards();
        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\"}");

        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\"}")
                .assertProblem(409, "fleet acme/trucks already exists, placed on shard s");
    }

    @Test
    void fleetOfUnknownTenantIsNotFound() {
        h.post("/v1/tenants/ghost/fleets", "{\"fleetId\":\"trucks\"}")
                .assertProblem(404, "tenant ghost does not exist");
        h.get("/v1/tenants/ghost/fleets/trucks").assertProblem(404, "tenant ghost does not exist");
    }

    @Test
    void unknownFleetIsNotFound() {
        tenantAndTwoShards();
        h.get("/v1/tenants/acme/fleets/nope").assertProblem(404, "fleet acme/nope does not exist");
    }

    @Test
    void pinToUnknownShardIsNotFound() {
        tenantAndTwoShards();
        long before = map.current().version();

        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\",\"shardId\":\"s9\"}")
                .assertProblem(404, "shard s9 does not exist, so fleet acme/trucks cannot be pinned to it");
        assertThat(map.current().version()).isEqualTo(before);
    }

    @Test
    void pinToRetiredShardIsConflict() {
        tenantAndTwoShards();
        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\",\"shardId\":\"old\"}")
                .assertProblem(409, "shard old is retired");
    }

    @Test
    void unpinnedFleetWithoutAnyRingShardIsConflict() {
        h.post("/v1/tenants", tenant("acme", "standard"));

        h.post("/v1/tenants/acme/fleets", "{\"fleetId\":\"trucks\"}")
                .assertProblem(409, "no active shard owns any part of the hash ring", "POST /v1/shards");
    }

    @Test
    void invalidIdsInThePathAreBadRequest() {
        h.post("/v1/tenants/b%20d/fleets", "{\"fleetId\":\"trucks\"}")
                .assertProblem(400, "path parameter tenantId", "got 'b d'");
        h.get("/v1/tenants/acme/fleets/x%21").assertProblem(400, "path parameter fleetId", "got 'x!'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "empty body        | ``                                         | request body is empty",
        "malformed JSON    | {fleetId:1}                                | request body is not valid JSON",
        "missing fleetId   | {\"shardId\":\"s1\"}                     | fleetId is required",
        "invalid fleetId   | {\"fleetId\":\"a/b\"}                    | letter or digit, got 'a/b'",
        "numeric shardId   | {\"fleetId\":\"f\",\"shardId\":1}        | shardId must be a string, got number 1",
        "invalid shardId   | {\"fleetId\":\"f\",\"shardId\":\"s 1\"}  | shardId must be 1-64 characters",
        "misspelt shardId  | {\"fleetId\":\"f\",\"shardID\":\"s1\"}   | unknown field shardID; allowed fields: fleetId, shardId",
    })
    void rejectsBadFleetBodies(String name, String body, String detail) {
        tenantAndTwoShards();
        long before = map.current().version();

        h.post("/v1/tenants/acme/fleets", body == null ? "" : body).assertProblem(400, detail);
        assertThat(map.current().version()).isEqualTo(before);
    }
}
