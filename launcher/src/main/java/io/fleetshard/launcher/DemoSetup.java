package io.fleetshard.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.ShardMapSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the demo topology and tenants through the control API (only what the map lacks, so a restart changes
 * nothing) and writes the demo vehicles through the router, the way a user would.
 */
final class DemoSetup {
    private static final Logger LOG = LoggerFactory.getLogger(DemoSetup.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final String controlUrl;
    private final String routerUrl;
    private final String adminToken;

    DemoSetup(String controlUrl, String routerUrl, String adminToken) {
        this.controlUrl = controlUrl;
        this.routerUrl = routerUrl;
        this.adminToken = adminToken;
    }

    void registerMissing(ShardMapSnapshot map, Map<String, String> nodeJdbcUrls) {
        for (DemoTopology.DemoShard s : DemoTopology.SHARDS) {
            if (map.shard(s.shardId()).isPresent()) {
                continue;
            }
            ObjectNode body = JSON.createObjectNode().put("shardId", s.shardId()).put("engine", s.engine().wireName())
                    .put("vnodes", s.vnodes());
            ArrayNode nodes = body.putArray("nodes");
            nodes.addObject().put("nodeId", s.primaryNodeId()).put("role", "primary").put("region", s.region())
                    .put("az", s.region() + "a").put("jdbcUrl", nodeJdbcUrls.get(s.primaryNodeId()));
            if (s.withReplica()) {
                nodes.addObject().put("nodeId", s.replicaNodeId()).put("role", "sync-replica")
                        .put("region", s.region()).put("az", s.region() + "b")
                        .put("jdbcUrl", nodeJdbcUrls.get(s.replicaNodeId()));
            }
            post(controlUrl + "/v1/shards", body);
        }
        for (String[] t : DemoTopology.TENANTS) {
            if (map.tenant(t[0]).isEmpty()) {
                post(controlUrl + "/v1/tenants", JSON.createObjectNode().put("tenantId", t[0]).put("tier", t[1]));
            }
        }
        for (DemoTopology.DemoFleet f : DemoTopology.FLEETS) {
            if (map.fleet(f.tenantId(), f.fleetId()).isEmpty()) {
                ObjectNode body = JSON.createObjectNode().put("fleetId", f.fleetId());
                if (f.pinnedShardId() != null) {
                    body.put("shardId", f.pinnedShardId());
                }
                post(controlUrl + "/v1/tenants/" + f.tenantId() + "/fleets", body);
            }
        }
    }

    /** Writes the demo vehicles through the router, each fleet in its shard's SQL dialect. */
    void insertDemoVehicles(ShardMapSnapshot map) {
        String[] statuses = {"active", "parked", "maintenance"};
        for (DemoTopology.DemoFleet f : DemoTopology.FLEETS) {
            Fleet fleet = map.fleet(f.tenantId(), f.fleetId()).orElseThrow(() -> new IllegalStateException(
                    "demo fleet " + f.tenantId() + "/" + f.fleetId() + " is missing from map v" + map.version()));
            Engine engine = map.shard(map.shardFor(fleet)).orElseThrow().engine();
            String insert = engine == Engine.POSTGRES
                    ? "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at)"
                            + " values (?, ?, ?, ?, ?, now()) on conflict do nothing"
                    : "insert ignore into vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at)"
                            + " values (?, ?, ?, ?, ?, now())";
            for (int i = 1; i <= DemoTopology.VEHICLES_PER_FLEET; i++) {
                ObjectNode body = JSON.createObjectNode().put("tenantId", f.tenantId()).put("fleetId", f.fleetId())
                        .put("sql", insert);
                body.putArray("params").add(f.tenantId()).add(f.fleetId()).add(f.fleetId() + "-" + i)
                        .add(String.format("1FS%014d", Math.abs((f.fleetId() + i).hashCode())))
                        .add(statuses[i % statuses.length]);
                post(routerUrl + "/v1/query", body);
            }
        }
    }

    private void post(String url, ObjectNode body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + adminToken)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2 && response.statusCode() != 409) {
                throw new IllegalStateException("demo setup: POST " + url + " answered " + response.statusCode()
                        + ": " + response.body());
            }
            LOG.debug("POST {} -> {}", url, response.statusCode());
        } catch (IOException e) {
            throw new IllegalStateException("demo setup: POST " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during demo setup", e);
        }
    }
}
