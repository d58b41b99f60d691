package io.fleetshard.controlapi;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.HashRing;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ReshardJob;
import io.fleetshard.shardmap.ReshardKind;
import io.fleetshard.shardmap.ReshardPhase;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Turns a {@link ReshardRequest} into a {@link ReshardJob} against one map snapshot, refusing what cannot run with the
 * precise problem (ADR 0013), and computes the placement the cutover commits.
 */
final class ReshardPlanner {
    private ReshardPlanner() {
    }

    /**
     * @param health a node's last health (never null)
     * @throws ApiProblem 404 unknown fleet or shard; 409 same shard, retired target, a shard's primary down or
     *         missing, another job touching the fleets or shards; 422 a split or merge between engines, a move between
     *         engines other than PostgreSQL and MariaDB, nothing to split
     */
    static ReshardJob plan(ReshardRequest req, ShardMapSnapshot map, Function<String, NodeHealth> health, String jobId,
            long nowMs) {
        String source;
        List<String> fleets = new ArrayList<>();
        List<Long> tokens = new ArrayList<>();
        Shard target = shard(map, req.targetShardId(), "target");
        switch (req.kind()) {
            case MOVE -> {
                Fleet fleet = map.fleet(req.tenantId(), req.fleetId()).orElseThrow(() -> ApiProblem.notFound("fleet "
                        + req.tenantId() + "/" + req.fleetId() + " does not exist"));
                source = map.shardFor(fleet);
                if (source.equals(target.shardId())) {
                    throw ApiProblem.conflict("fleet " + req.tenantId() + "/" + req.fleetId() + " is already on shard "
                            + source);
                }
                fleets.add(req.tenantId() + "/" + req.fleetId());
            }
            case SPLIT -> {
                Shard s = shard(map, req.sourceShardId(), "split");
                source = s.shardId();
                sameShard(source, target.shardId());
                long[] own = s.vnodeTokens();
                if (own.length < 2) {
                    throw ApiProblem.unprocessable("shard " + source + " owns " + own.length + " vnode token(s):"
                            + " nothing to split (a split hands every other token to the new shard)");
                }
                for (int i = 1; i < own.length; i += 2) {
                    tokens.add(own[i]);
                }
                Set<Long> moving = new HashSet<>(tokens);
                HashRing after = ringAfter(map, s, target, moving);
                for (Fleet f : map.fleets()) {
                    if (!f.isPinned() && map.shardFor(f).equals(source) && after.shardFor(f.token())
                            .equals(target.shardId())) {
                        fleets.add(f.tenantId() + "/" + f.fleetId());
                    }
                }
            }
            case MERGE -> {
                Shard s = shard(map, req.sourceShardId(), "merged");
                source = s.shardId();
                sameShard(source, target.shardId());
                Arrays.stream(s.vnodeTokens()).forEach(tokens::add);
                for (Fleet f : map.fleets()) {
                    if (map.shardFor(f).equals(source)) {
                        fleets.add(f.tenantId() + "/" + f.fleetId());
                    }
                }
            }
            default -> throw new IllegalStateException("unknown kind " + req.kind());
        }
        Shard src = shard(map, source, "source");
        if (src.engine() != target.engine()) {
            crossEngine(req.kind(), src, target);
        }
        if (target.status() == ShardStatus.RETIRED) {
            throw ApiProblem.conflict("shard " + target.shardId() + " is retired and takes no fleets");
        }
        primaryUp(map, source, health);
        primaryUp(map, target.shardId(), health);
        Set<String> mine = new HashSet<>(fleets);
        for (ReshardJob other : map.reshards()) {
            if (other.phase().isTerminal()) {
                continue;
            }
            for (String f : other.fleets()) {
                if (mine.contains(f)) {
                    throw ApiProblem.conflict("fleet " + f + " is already moving in reshard job " + other.jobId()
                            + " (" + other.phase().wireName() + "); wait for it or cancel it");
                }
            }
            boolean ringChange = req.kind() != ReshardKind.MOVE || other.kind() != ReshardKind.MOVE;
            Set<String> shards = Set.of(other.sourceShardId(), other.targetShardId());
            if (ringChange && (shards.contains(source) || shards.contains(target.shardId()))) {
                throw ApiProblem.conflict("reshard job " + other.jobId() + " (" + other.kind().wireName() + " "
                        + other.sourceShardId() + " -> " + other.targetShardId() + ", " + other.phase().wireName()
                        + ") involves shard " + (shards.contains(source) ? source : target.shardId())
                        + "; a split or merge cannot run beside another job on the same shards");
            }
        }
        List<String> sorted = new ArrayList<>(new TreeSet<>(fleets));
        List<Long> sortedTokens = new ArrayList<>(new TreeSet<>(tokens));
        return new ReshardJob(jobId, req.kind(), source, target.shardId(), sorted, sortedTokens, ReshardPhase.PRECOPY,
                -1, nowMs, nowMs, false, null);
    }

    /**
     * What the cutover's map transaction writes besides the job: a move pins its fleets to the target; a split or
     * merge hands the job's tokens to the target and pins any fleet that the token change would move but the job did
     * not copy (created since the plan) to the source, where its rows are. A merge re-pins the source's pinned fleets.
     */
    static List<MapEntity> placementAfter(ReshardJob job, ShardMapSnapshot map) {
        List<MapEntity> puts = new ArrayList<>();
        if (job.kind() == ReshardKind.MOVE) {
            for (String key : job.fleets()) {
                int slash = key.indexOf('/');
                map.fleet(key.substring(0, slash), key.substring(slash + 1))
                        .ifPresent(f -> puts.add(new Fleet(f.tenantId(), f.fleetId(), job.targetShardId())));
            }
            return puts;
        }
        Shard source = map.shard(job.sourceShardId()).orElseThrow();
        Shard target = map.shard(job.targetShardId()).orElseThrow();
        Set<Long> moving = new HashSet<>(job.tokens());
        HashRing after = ringAfter(map, source, target, moving);
        puts.add(source.withVnodeTokens(
                Arrays.stream(source.vnodeTokens()).filter(t -> !moving.contains(t)).toArray()));
        puts.add(target.withVnodeTokens(concat(target.vnodeTokens(), job.tokens())));
        for (Fleet f : map.fleets()) {
            boolean inJob = job.moves(f.tenantId(), f.fleetId());
            if (f.isPinned()) {
                if (inJob && f.pinnedShardId().equals(source.shardId())) {
                    puts.add(new Fleet(f.tenantId(), f.fleetId(), target.shardId()));
                }
            } else if (!inJob && map.shardFor(f).equals(source.shardId())
                    && !after.shardFor(f.token()).equals(source.shardId())) {
                puts.add(new Fleet(f.tenantId(), f.fleetId(), source.shardId()));
            }
        }
        return puts;
    }

    private static HashRing ringAfter(ShardMapSnapshot map, Shard source, Shard target, Set<Long> moving) {
        List<Shard> shards = new ArrayList<>();
        for (Shard s : map.shards()) {
            if (s.shardId().equals(source.shardId())) {
                shards.add(s.withVnodeTokens(
                        Arrays.stream(s.vnodeTokens()).filter(t -> !moving.contains(t)).toArray()));
            } else if (s.shardId().equals(target.shardId())) {
                shards.add(s.withVnodeTokens(concat(s.vnodeTokens(), new ArrayList<>(moving))));
            } else {
                shards.add(s);
            }
        }
        return HashRing.of(shards);
    }

    private static long[] concat(long[] a, List<Long> b) {
        TreeSet<Long> all = new TreeSet<>();
        Arrays.stream(a).forEach(all::add);
        all.addAll(b);
        return all.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * A move between a PostgreSQL and a MariaDB shard runs (ADR 0047; its tables' columns are checked against both
     * catalogs before the job is stored); a split or merge between engines, or MySQL with another engine, does not.
     */
    private static void crossEngine(ReshardKind kind, Shard src, Shard target) {
        String between = "shard " + src.shardId() + " is " + src.engine().wireName() + " and shard "
                + target.shardId() + " is " + target.engine().wireName();
        if (kind != ReshardKind.MOVE) {
            throw ApiProblem.unprocessable(between + ": a " + kind.wireName() + " between engines is not supported"
                    + " (ADR 0047: only a move of fleets converts rows between PostgreSQL and MariaDB); pick a"
                    + " shard of the same engine");
        }
        Set<Engine> engines = Set.of(src.engine(), target.engine());
        if (!engines.equals(Set.of(Engine.POSTGRES, Engine.MARIADB))) {
            throw ApiProblem.unprocessable(between + ": moves between engines are supported between postgres and"
                    + " mariadb only (ADR 0047); pick a target of the same engine");
        }
    }

    private static Shard shard(ShardMapSnapshot map, String id, String role) {
        return map.shard(id).orElseThrow(() -> ApiProblem.notFound(role + " shard " + id + " does not exist"));
    }

    private static void sameShard(String source, String target) {
        if (source.equals(target)) {
            throw ApiProblem.conflict("source and target are both shard " + source);
        }
    }

    private static void primaryUp(ShardMapSnapshot map, String shardId, Function<String, NodeHealth> health) {
        Node primary = map.primaryOf(shardId).orElseThrow(() -> ApiProblem.conflict("shard " + shardId
                + " has no primary node in the map, so nothing can be copied from or to it"));
        NodeHealth h = health.apply(primary.nodeId());
        if (h.status() == HealthStatus.DOWN) {
            throw ApiProblem.conflict("the primary " + primary.nodeId() + " of shard " + shardId + " is down ("
                    + h.consecutiveFailures() + " failed probes, last: " + h.lastError() + "); resharding needs both"
                    + " primaries up");
        }
    }
}
