package io.fleetshard.controlapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The shards: {@code GET /v1/shards}, {@code GET /v1/shards/{shardId}} (with each node's health and replication lag
 * from the last probe round), {@code GET /v1/shards/{shardId}/standby} (the applied position and lag of its warm
 * standbys, from the same round), {@code POST /v1/shards} (register a node group; the shard and all its nodes are one map
 * transaction and join the ring together), and the map summary {@code GET /v1/shardmap}.
 */
final class ShardRoutes {
    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
    private static final Pattern URL_USERINFO = Pattern.compile("(//[^/@:]+:)[^/@]*@");

    private final MapTransactionRunner runner;
    private final NodeHealthMonitor monitor;
    private final RequestBodyReader bodies;
    private final Clock clock;

    ShardRoutes(MapTransactionRunner runner, NodeHealthMonitor monitor, RequestBodyReader bodies, Clock clock) {
        this.runner = runner;
        this.monitor = monitor;
        this.bodies = bodies;
        this.clock = clock;
    }

    void install(RoutesConfig routes) {
        routes.get("/v1/shards", this::list, Access.READ_PLATFORM);
        routes.post("/v1/shards", this::register, Access.OPERATE);
        routes.get("/v1/shards/{shardId}", this::get, Access.READ_PLATFORM);
        routes.get("/v1/shards/{shardId}/standby", this::standby, Access.READ_PLATFORM);
        routes.get("/v1/shardmap", this::summary, Access.READ_PLATFORM);
    }

    private void list(Context ctx) {
        ShardMapSnapshot map = runner.readSnapshot();
        List<Shard> shards = new ArrayList<>(map.shards());
        shards.sort(Comparator.comparing(Shard::shardId));
        ObjectNode body = ResponseJson.object().put("mapVersion", map.version());
        ArrayNode items = body.putArray("shards");
        java.util.Map<String, Double> shares = map.ring().ownership();
        for (Shard s : shards) {
            items.add(view(s, map.nodesOf(s.shardId())).put("ringShare", shares.getOrDefault(s.shardId(), 0.0)));
        }
        ResponseJson.write(ctx, 200, body);
    }

    private void get(Context ctx) {
        ResponseJson.write(ctx, 200, currentView(ResponseJson.pathId(ctx, "shardId")));
    }

    /** The shard as {@code GET /v1/shards/{shardId}} answers it (404 problem if it does not exist). */
    ObjectNode currentView(String shardId) {
        ShardMapSnapshot map = runner.readSnapshot();
        Shard shard = map.shard(shardId)
                .orElseThrow(() -> ApiProblem.notFound("shard " + shardId + " does not exist"));
        return view(shard, map.nodesOf(shardId)).put("mapVersion", map.version());
    }

    /**
     * The applied position and lag of each warm standby of the shard, and how far the shard's archive reaches, from the
     * health monitor's last round (no database or object store is read on the request thread). A standby or an archive
     * that could not be read has an {@code error} instead of its figures; {@code archive} is null when no archive is
     * attached.
     */
    private void standby(Context ctx) {
        String shardId = ResponseJson.pathId(ctx, "shardId");
        ShardMapSnapshot map = runner.readSnapshot();
        Shard shard = map.shard(shardId)
                .orElseThrow(() -> ApiProblem.notFound("shard " + shardId + " does not exist"));
        long now = clock.millis();
        ObjectNode body = ResponseJson.object().put("shardId", shardId).put("engine", shard.engine().wireName())
                .put("mapVersion", map.version());
        ArchiveStatus archive = monitor.archive(shardId);
        if (monitor.archiveAttached()) {
            body.set("archive", archiveView(archive, shard.engine()));
        } else {
            body.putNull("archive");
        }
        LatestManifest head = archive == null ? null : archive.latest();
        ArrayNode items = body.putArray("standbys");
        for (Node n : map.nodesOf(shardId)) {
            if (n.role() != NodeRole.STANDBY) {
                continue;
            }
            ObjectNode o = items.addObject().put("nodeId", n.nodeId()).put("region", n.region()).put("az", n.az());
            StandbyStatus st = monitor.standby(n.nodeId());
            if (st == null) {
                o.put("error", "not read yet: the health monitor's first round since the node joined the map has"
                        + " not finished");
                continue;
            }
            o.put("readAt", st.readAt().toString());
            if (!st.reading().ok()) {
                o.put("error", st.reading().error());
                continue;
            }
            StandbyPosition p = st.reading().position();
            o.put("appliedManifestSeq", p.manifestSeq())
                    .put("manifestSha256", p.manifestSha256())
                    .put("nextOffset", p.nextOffset())
                    .put("lastPosition", p.lastPosition())
                    .put("lastCommitTsMs", p.lastCommitTsMs())
                    .put("appliedAtMs", p.appliedAtMs())
                    .put("watermarkTsMs", p.watermarkTsMs())
                    .put("caughtUpTsMs", p.caughtUpTsMs())
                    .put("appliedLagMs", st.appliedLagMs(now));
            if (shard.engine() == Engine.POSTGRES) {
                o.put("behindBytes", st.behindBytes());
            }
            o.put("manifestsBehind", st.manifestsBehind(head)).put("archiveLagMs", st.archiveLagMs(head));
        }
        ResponseJson.write(ctx, 200, body);
    }

    /** The newest manifest of the shard's archive; its figures are null while the archive has no manifest. */
    private static ObjectNode archiveView(ArchiveStatus archive, Engine engine) {
        ObjectNode o = ResponseJson.object();
        if (archive == null) {
            return o.put("error", "not read yet: the health monitor's first round since the archive was attached or"
                    + " the shard joined the map has not finished");
        }
        o.put("readAt", archive.readAt().toString());
        if (!archive.ok()) {
            return o.put("error", archive.error());
        }
        LatestManifest m = archive.latest();
        o.put("latestManifestSeq", m == null ? null : m.seq())
                .put("lastCommitTsMs", m == null ? null : m.lastCommitTsMs())
                .put("lastPosition", m == null ? null : m.lastPosition())
                .put("manifestCreatedMs", m == null ? null : m.createdMs());
        if (engine == Engine.POSTGRES) {
            o.put("behindBytes", archive.behindBytes());
        }
        return o;
    }

    private void register(Context ctx) {
        RegisterShardRequest req = RegisterShardRequest.parse(bodies.read(ctx));
        MapTransactionRunner.Committed<Shard> done = runner.run("register shard " + req.shardId(), map -> {
            if (map.shard(req.shardId()).isPresent()) {
                throw ApiProblem.conflict("shard " + req.shardId() + " already exists; see GET /v1/shards/"
                        + req.shardId());
            }
            for (Node n : req.nodes()) {
                map.node(n.nodeId()).ifPresent(existing -> {
                    throw ApiProblem.conflict("node " + n.nodeId() + " already exists (" + existing.role().wireName()
                            + " of shard " + existing.shardId() + "); node ids are unique across the map");
                });
            }
            Shard shard = req.shard();
            List<MapEntity> puts = new ArrayList<>();
            puts.add(shard);
            puts.addAll(req.nodes());
            return MapTransactionRunner.Plan.put(puts, shard);
        });
        ctx.header("Location", "/v1/shards/" + req.shardId());
        List<Node> nodes = new ArrayList<>(req.nodes());
        nodes.sort(Comparator.comparing(Node::role).thenComparing(Node::nodeId));
        ResponseJson.write(ctx, 201, view(done.result(), nodes).put("mapVersion", done.mapVersion()));
    }

    private void summary(Context ctx) {
        ShardMapSnapshot map = runner.readSnapshot();
        ResponseJson.write(ctx, 200, ResponseJson.object()
                .put("version", map.version())
                .put("tenants", map.tenants().size())
                .put("fleets", map.fleets().size())
                .put("shards", map.shards().size())
                .put("nodes", map.nodes().size())
                .put("vnodes", map.ring().vnodeCount())
                .put("writerFenced", runner.fencedAt() != null));
    }

    private ObjectNode view(Shard shard, List<Node> nodes) {
        ObjectNode o = ResponseJson.object()
                .put("shardId", shard.shardId())
                .put("engine", shard.engine().wireName())
                .put("status", shard.status().wireName())
                .put("vnodes", shard.vnodeCount()).put("epoch", shard.epoch());
        ArrayNode items = o.putArray("nodes");
        for (Node n : nodes) {
            NodeHealth h = monitor.health(n.nodeId());
            ObjectNode node = items.addObject()
                    .put("nodeId", n.nodeId())
                    .put("role", n.role().wireName())
                    .put("region", n.region())
                    .put("az", n.az())
                    .put("jdbcUrl", maskSecrets(n.jdbcUrl()));
            node.put("replicationLagMs", h.replicationLagMs());
            node.put("replicationLagBytes", h.replicationLagBytes());
            node.putObject("health")
                    .put("status", h.status().wireName())
                    .put("lastProbeAt", text(h.lastProbeAt()))
                    .put("lastSuccessAt", text(h.lastSuccessAt()))
                    .put("consecutiveFailures", h.consecutiveFailures())
                    .put("probeLatencyMs", h.lastProbeAt() == null ? null : h.probeLatencyMs())
                    .put("lastError", h.lastError());
        }
        return o;
    }

    private static String text(Instant t) {
        return t == null ? null : t.toString();
    }

    /** A JDBC URL without its password (query parameter or user-info form). */
    static String maskSecrets(String jdbcUrl) {
        String out = URL_PASSWORD.matcher(jdbcUrl).replaceAll("$1****");
        return URL_USERINFO.matcher(out).replaceAll("$1****@");
    }
}
