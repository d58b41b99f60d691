package io.fleetshard.controlapi;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.MapUnavailableException;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails shards over when their primary dies (docs/spec/orchestrations.md, ADR 0015): {@code detect → declare → promote
 * → update-map → verify}, each step idempotent and stored in the {@link OrchestrationLog} once done, so that the next
 * control-API instance to write the map resumes an orchestration where this one stopped.
 *
 * <ul>
 *   <li><b>detect</b>: the health monitor's last probe of a primary failed (or an operator asked).</li>
 *   <li><b>declare</b>: the primary is probed again {@code control.failover.confirm.attempts} times, apart by
 *       {@code control.failover.confirm.interval.ms}; if it answers once, the orchestration ends {@code aborted}.
 *       Otherwise the candidate is chosen: a reachable synchronous replica first (no acknowledged write lost), else
 *       the reachable replica with the least replay lag.</li>
 *   <li><b>promote</b>: the candidate leaves recovery ({@code pg_promote}); a promoted one is left as it is.</li>
 *   <li><b>update-map</b>: one map transaction makes the candidate the primary, the old primary {@code fenced}
 *       (never routed to again) and bumps the shard's epoch; the old primary, if reachable, is made read-only.</li>
 *   <li><b>verify</b>: the new primary takes writes.</li>
 * </ul>
 * Only the instance whose map writer is live drives orchestrations; every instance reads the log and shows them all.
 */
final class FailoverOrchestrator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverOrchestrator.class);
    /**
     * After a failover that the health monitor started ended without a promotion (aborted: the primary answered;
     * failed: nothing could be promoted), how long its next failed probe is not a new detection.
     */
    private static final long DETECTION_COOLDOWN_MS = 10_000;
    private static final String MONITOR_TRIGGER = "health monitor";

    private final ControlApiConfig config;
    private final MapTransactionRunner runner;
    private final ShardMapSource source;
    private final OrchestrationLog log;
    private final FailoverActions actions;
    private final Clock clock;
    private final ScheduledExecutorService ticker;
    private final ExecutorService workers;
    private final Map<String, Orchestration> all = new ConcurrentHashMap<>();
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    /** Shards whose primary is down with no replica answering, as last logged (one warning per outage). */
    private final Set<String> nothingToPromote = ConcurrentHashMap.newKeySet();
    private final Object waiter = new Object();
    private final MeterRegistry registry;
    private volatile Function<String, NodeHealth> health = id -> NodeHealth.UNKNOWN;
    private volatile ControlApi.NodeRebuilder rebuilder;
    private volatile ControlApi.CaptureResetter captureResetter;
    private volatile Function<String, StandbyStatus> standbys = id -> null;
    private volatile Function<String, ArchiveStatus> archives = id -> null;
    private volatile ShardLogs shardLogs;
    private volatile boolean stopping;

    FailoverOrchestrator(ControlApiConfig config, MapTransactionRunner runner, ShardMapSource source,
            OrchestrationLog log, FailoverActions actions, Clock clock, MeterRegistry registry) {
        this.config = config;
        this.runner = runner;
        this.source = source;
        this.log = log;
        this.actions = actions;
        this.clock = clock;
        this.registry = registry;
        this.ticker = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("control-api-failover-tick"));
        this.workers = Executors.newCachedThreadPool(DaemonThreads.named("control-api-failover-step"));
        io.micrometer.core.instrument.Gauge.builder("fleetshard.control.orchestrations.running", all,
                m -> m.values().stream().filter(o -> !o.state().ended()).count())
                .description("Orchestrations (failovers) not ended yet, as this instance reads them").register(registry);
    }

    /** Where detection reads the health monitor's view of a node. */
    void healthFrom(Function<String, NodeHealth> nodeHealth) {
        this.health = nodeHealth;
    }

    /** Where a standby promotion reads the monitor's view of the standby's position and of the shard's archive. */
    void standbysFrom(Function<String, StandbyStatus> standbyOfNode, Function<String, ArchiveStatus> archiveOfShard) {
        this.standbys = standbyOfNode;
        this.archives = archiveOfShard;
    }

    /** Who tells change capture to start a promoted standby's shard over; none by default (the step says so). */
    void resetCaptureWith(ControlApi.CaptureResetter resetter) {
        this.captureResetter = resetter;
    }

    /**
     * Where a MariaDB failover's verify step reads which transactions change capture published (the shard logs), to
     * name those the new primary does not hold (ADR 0029); without it the step does not look.
     */
    void shardLogsFrom(ShardLogs logs) {
        this.shardLogs = logs;
    }

    /** Who rebuilds a failed node as a replica when a failback or rejoin finds it is not one (dev); none by default. */
    void rebuildWith(ControlApi.NodeRebuilder nodeRebuilder) {
        this.rebuilder = nodeRebuilder;
    }

    void start() {
        log.start(this::onEvent);
        ticker.scheduleWithFixedDelay(this::tickSafely, 0, config.failoverTickMs(), TimeUnit.MILLISECONDS);
    }

    private void onEvent(Orchestration o) {
        all.merge(o.id(), o, (a, b) -> b.seq() > a.seq() ? b : a);
    }

    /** Every orchestration this instance knows of, newest first. */
    List<Orchestration> list() {
        return all.values().stream().sorted(Comparator.comparingLong(Orchestration::startedAtMs).reversed()
                .thenComparing(Orchestration::id)).toList();
    }

    Optional<Orchestration> get(String id) {
        return Optional.ofNullable(all.get(id));
    }

    /** False while this instance has not read every event stored before it started: it may not know them all yet. */
    boolean loaded() {
        return log.caughtUp();
    }

    /**
     * An operator's failover of {@code shardId}: checked now (404 unknown shard; 409 engine not supported, a failover
     * already running, no primary, or a primary that answers; 503 when this instance does not write the map), then
     * run like a detected one.
     */
    Orchestration requestFailover(String shardId, String reason) {
        Checked c = checked(shardId, "failover");
        Node primary = c.primary();
        String why = actions.unreachable(primary, c.shard().engine(), config.failoverConfirmTimeout());
        if (why == null) {
            throw ApiProblem.conflict("primary " + primary.nodeId() + " of shard " + shardId + " answers; a failover"
                    + " would leave two primaries (a planned switchover is not available yet)");
        }
        return begin(shardId, primary, "operator" + (reason == null || reason.isBlank() ? "" : ": " + reason),
                "operator asked; primary " + primary.nodeId() + " does not answer: " + why);
    }

    /**
     * An operator's planned switchover of {@code shardId} to {@code toNodeId} (null: its synchronous replica, else its
     * least-lagging replica): checked now (404 unknown shard or node; 409 engine not supported, an orchestration
     * running, a primary that does not answer — that is a failover — or a target that is not a reachable replica of
     * the shard; 503 when this instance does not write the map), then run: freeze, catch-up, promote, update-map,
     * verify. Writes to the shard pause from the freeze until routers see the new map.
     */
    Orchestration requestSwitchover(String shardId, String toNodeId, String reason) {
        Checked c = checked(shardId, "switchover");
        ShardMapSnapshot map = c.map();
        Shard shard = c.shard();
        Node primary = c.primary();
        String down = actions.unreachable(primary, shard.engine(), config.failoverConfirmTimeout());
        if (down != null) {
            throw ApiProblem.conflict("primary " + primary.nodeId() + " of shard " + shardId + " does not answer ("
                    + down + "): fail it over instead (POST /v1/shards/" + shardId + "/failover)");
        }
        Node target;
        if (toNodeId != null) {
            target = map.node(toNodeId).orElseThrow(() -> ApiProblem.notFound("no node " + toNodeId));
            if (!target.shardId().equals(shardId) || (target.role() != NodeRole.SYNC_REPLICA
                    && target.role() != NodeRole.REPLICA)) {
                throw ApiProblem.conflict("node " + toNodeId + " is not a replica of shard " + shardId + " (it is the "
                        + target.role().wireName() + " of " + target.shardId() + ")");
            }
        } else {
            target = replicasBestFirst(map, shardId).stream().findFirst().orElseThrow(() ->
                    ApiProblem.conflict("shard " + shardId + " has no replica to switch over to"));
        }
        String targetDown = actions.unreachable(target, shard.engine(), config.failoverConfirmTimeout());
        if (targetDown != null) {
            throw ApiProblem.conflict("replica " + target.nodeId() + " does not answer (" + targetDown + ")");
        }
        String id = "so-" + UUID.randomUUID().toString().substring(0, 8);
        Orchestration o = Orchestration.switchover(id, shardId, primary.nodeId(), target.nodeId(),
                "operator" + (reason == null || reason.isBlank() ? "" : ": " + reason), clock.millis(),
                "switching " + shardId + " from " + primary.nodeId() + " to " + target.nodeId() + " ("
                        + target.role().wireName() + "); both answer");
        return launch(o, "switching shard " + shardId + " over from " + primary.nodeId() + " to "
                + target.nodeId());
    }

    /**
     * An operator's failback ({@code kind} {@code failback}) or rejoin ({@code rejoin}) of {@code nodeId} (null: the
     * shard's one fenced node): checked now (404 unknown shard or node; 409 engine not supported, an orchestration
     * running, a primary that does not answer, a node that is not the shard's or not fenced, or — with no node
     * rebuilder — a node that is not yet a replica streaming from the primary; 503 when this instance does not write
     * the map), then run: {@code rejoin} makes the node a replica in the map; a failback then switches over to it.
     */
    Orchestration requestReturn(String kind, String shardId, String nodeId, String reason) {
        Checked c = checked(shardId, kind);
        Node primary = c.primary();
        String down = actions.unreachable(primary, c.shard().engine(), config.failoverConfirmTimeout());
        if (down != null) {
            throw ApiProblem.conflict("primary " + primary.nodeId() + " of shard " + shardId + " does not answer ("
                    + down + "): fail it over first (POST /v1/shards/" + shardId + "/failover)");
        }
        Node node;
        if (nodeId != null) {
            node = c.map().node(nodeId).orElseThrow(() -> ApiProblem.notFound("no node " + nodeId));
            if (!node.shardId().equals(shardId)) {
                throw ApiProblem.conflict("node " + nodeId + " belongs to shard " + node.shardId() + ", not "
                        + shardId);
            }
        } else {
            List<Node> fenced = c.map().nodesOf(shardId).stream().filter(n -> n.role() == NodeRole.FENCED).toList();
            if (fenced.size() != 1) {
                throw ApiProblem.conflict("shard " + shardId + " has " + (fenced.isEmpty() ? "no fenced node"
                        : "several fenced nodes (" + fenced.stream().map(Node::nodeId).toList() + ")")
                        + ": name the node (\"node\")");
            }
            node = fenced.get(0);
        }
        boolean replica = node.role() == NodeRole.REPLICA || node.role() == NodeRole.SYNC_REPLICA;
        if (node.role() != NodeRole.FENCED && !(kind.equals("failback") && replica)) {
            throw ApiProblem.conflict("node " + node.nodeId() + " is the " + node.role().wireName() + " of shard "
                    + shardId + (kind.equals("rejoin") ? "; only a fenced node rejoins" : "; failback returns a"
                    + " fenced node or a replica to primary"));
        }
        String seen;
        if (c.shard().engine() == Engine.MARIADB) {
            seen = mariaDbReturning(node, primary);
        } else if (rebuilder == null) {
            try {
                seen = actions.replicaOf(node, primary, c.shard().engine(), config.failoverConfirmTimeout()).detail();
            } catch (ControlApiException e) {
                throw ApiProblem.conflict(e.getMessage());
            }
        } else {
            seen = "a node rebuilder is configured: " + node.nodeId() + " is rebuilt if it is not a replica yet";
        }
        String id = (kind.equals("failback") ? "fb-" : "rj-") + UUID.randomUUID().toString().substring(0, 8);
        Orchestration o = Orchestration.returning(kind, id, shardId, primary.nodeId(), node.nodeId(),
                "operator" + (reason == null || reason.isBlank() ? "" : ": " + reason), clock.millis(),
                kind + " of " + node.nodeId() + " (" + node.role().wireName() + ") to shard " + shardId + ", primary "
                        + primary.nodeId() + "; " + seen);
        return launch(o, kind + " of node " + node.nodeId() + " to shard " + shardId + " (primary "
                + primary.nodeId() + ")");
    }

    /**
     * MariaDB (ADR 0032): what a failback or rejoin will do with {@code node}, checked now. A replica of the primary
     * needs nothing; a node that answers but is not one is re-attached by GTID, unless its binary log holds
     * transactions the primary never had (errant GTIDs: a crashed primary's last, unreplicated ones), which is
     * refused — following the primary would keep them, a diverged copy; the node must be rebuilt. A node that does
     * not answer is rebuilt by the node rebuilder, or refused without one.
     */
    private String mariaDbReturning(Node node, Node primary) {
        Engine engine = Engine.MARIADB;
        try {
            return actions.replicaOf(node, primary, engine, config.failoverConfirmTimeout()).detail();
        } catch (ControlApiException notReplica) {
            String down = actions.unreachable(node, engine, config.failoverConfirmTimeout());
            if (down == null) {
                List<String> errant;
                try {
                    errant = actions.errantTransactions(node, primary, engine, config.failoverConfirmTimeout());
                } catch (ControlApiException e) {
                    throw ApiProblem.conflict(e.getMessage());
                }
                if (!errant.isEmpty()) {
                    throw ApiProblem.conflict(errantMessage(node, primary, errant));
                }
                return node.nodeId() + " answers, is not a replica of " + primary.nodeId() + " and holds no"
                        + " transaction " + primary.nodeId() + " lacks: it is re-attached as its replica by GTID";
            }
            if (rebuilder == null) {
                throw ApiProblem.conflict(node.nodeId() + " does not answer (" + down + "): rebuild it as a replica"
                        + " of " + primary.nodeId() + " first (docs/runbooks/failback.md)");
            }
            return "a node rebuilder is configured: " + node.nodeId() + " (not answering: " + down + ") is rebuilt"
                    + " from " + primary.nodeId();
        }
    }

    private static String errantMessage(Node node, Node primary, List<String> errant) {
        return node.nodeId() + " holds transactions that primary " + primary.nodeId() + " never had (errant GTIDs: "
                + String.join(", ", errant) + "), e.g. the last ones it wrote before it failed that no replica"
                + " received; it is not re-pointed, which would keep them and diverge from " + primary.nodeId()
                + ". Rebuild it from " + primary.nodeId() + " (wipe its data and re-seed it, docs/runbooks/failback.md)"
                + " and ask again";
    }

    /**
     * An operator's disaster recovery of {@code shardId} onto its warm standby (the node of role {@code standby}):
     * checked now (404 unknown shard; 409 engine not supported, an orchestration running, no standby or one that does
     * not answer, and — unless {@code force} — a primary or replica that answers: those lose nothing, the standby
     * loses what the archive did not hold yet; 503 when this instance does not write the map), then run: the standby
     * applies what the archive holds, stops being fed, capture starts the shard over on it, and it becomes the
     * primary, every other node of the shard fenced.
     */
    Orchestration requestPromoteStandby(String shardId, String reason, boolean force) {
        Checked c = checked(shardId, "promote-standby");
        Engine engine = c.shard().engine();
        List<Node> standbysOfShard = c.map().nodesOf(shardId).stream().filter(n -> n.role() == NodeRole.STANDBY)
                .toList();
        if (standbysOfShard.isEmpty()) {
            throw ApiProblem.conflict("shard " + shardId + " has no warm standby (a node of role standby)");
        }
        Node standby = standbysOfShard.get(0);
        String standbyDown = actions.unreachable(standby, engine, config.failoverConfirmTimeout());
        if (standbyDown != null) {
            throw ApiProblem.conflict("standby " + standby.nodeId() + " does not answer (" + standbyDown + ")");
        }
        List<String> answering = new ArrayList<>();
        for (Node n : c.map().nodesOf(shardId)) {
            boolean serving = n.role() == NodeRole.PRIMARY || n.role() == NodeRole.SYNC_REPLICA
                    || n.role() == NodeRole.REPLICA;
            if (serving && actions.unreachable(n, engine, config.failoverConfirmTimeout()) == null) {
                answering.add(n.nodeId() + " (" + n.role().wireName() + ")");
            }
        }
        if (!answering.isEmpty() && !force) {
            throw ApiProblem.conflict("nodes of shard " + shardId + " in its own region answer: " + answering
                    + "; a failover or switchover to them loses nothing, promoting the standby loses what the archive"
                    + " does not hold yet. Send {\"force\": true} to promote the standby anyway");
        }
        String id = "dr-" + UUID.randomUUID().toString().substring(0, 8);
        Orchestration o = Orchestration.promoteStandby(id, shardId, c.primary().nodeId(), standby.nodeId(),
                "operator" + (reason == null || reason.isBlank() ? "" : ": " + reason), clock.millis(),
                "promoting standby " + standby.nodeId() + " of shard " + shardId + " (region " + standby.region()
                        + "); " + (answering.isEmpty() ? "no node of the shard answers"
                        : "forced although " + answering + " answer: they are fenced"));
        return launch(o, "promoting standby " + standby.nodeId() + " of shard " + shardId);
    }

    /**
     * Waits (up to the promote timeout) until the standby applied the archive's newest manifest, as the health monitor
     * reads both after this step started; goes on without it when that does not happen in time, since the primary's
     * region is lost anyway. Says what the standby applied and what that means for lost writes.
     */
    private String standbyCatchUp(Orchestration o, long started) {
        Node standby = candidate(o);
        long deadline = System.nanoTime() + config.failoverPromoteTimeout().toNanos();
        while (true) {
            StandbyStatus st = standbys.apply(standby.nodeId());
            ArchiveStatus archive = archives.apply(o.shardId());
            boolean fresh = st != null && archive != null && st.readAt().toEpochMilli() >= started
                    && archive.readAt().toEpochMilli() >= started;
            Long behind = fresh ? st.manifestsBehind(archive.latest()) : null;
            if (behind != null && behind == 0) {
                StandbyPosition p = st.reading().position();
                return standby.nodeId() + " applied the archive's newest manifest " + p.manifestSeq() + " (last change"
                        + " committed " + java.time.Instant.ofEpochMilli(p.lastCommitTsMs()) + "): writes committed"
                        + " after it that the archive did not hold are lost (the archive's RPO)";
            }
            if (stopping) {
                throw new ControlApiException("stopped while waiting for standby " + standby.nodeId());
            }
            if (System.nanoTime() > deadline) {
                return standby.nodeId() + " did not reach the archive's newest manifest within "
                        + config.failoverPromoteTimeout().toMillis() + " ms (" + (behind == null
                        ? "its position or the archive could not be read: " + (st == null ? "no reading"
                        : st.reading().ok() ? "archive " + (archive == null ? "not read" : archive.error())
                        : st.reading().error()) : behind + " manifest(s) behind") + "); promoting it as it is: the"
                        + " writes it lacks are lost";
            }
            pause(200);
        }
    }

    /**
     * Promotes the candidate; after an unplanned failover whose promoted node kept no copy of capture's slot (the
     * primary died before the copy became lasting), capture is reset at once so it snapshots the new primary instead
     * of refusing it for a missing slot until an operator steps in. A repeat after a crash finds the node promoted
     * and resets again only while no slot exists there.
     */
    private String promote(Orchestration o) {
        Node candidate = candidate(o);
        String promoted = actions.promote(candidate, engine(o), config.failoverPromoteTimeout());
        if (!o.kind().equals("failover") || !actions.captureSlotLost(candidate, engine(o),
                config.failoverConfirmTimeout())) {
            return promoted;
        }
        String reset;
        try {
            reset = captureReset(o);
        } catch (RuntimeException e) { // writes must resume all the same: capture waits for an operator instead
            reset = "resetting capture failed (" + e.getMessage() + "): capture refuses the new primary until shard "
                    + o.shardId() + " is reset by hand (docs/runbooks/failover.md)";
        }
        return promoted + "; " + candidate.nodeId() + " kept no copy of capture's slot: " + reset;
    }

    private String captureReset(Orchestration o) {
        ControlApi.CaptureResetter resetter = captureResetter;
        if (resetter == null) {
            return "no capture resetter on this control API: reset change capture of shard " + o.shardId()
                    + " by hand before writes resume (docs/runbooks/promote-standby.md); until then capture refuses"
                    + " the new primary (its slot is missing)";
        }
        return resetter.resetCapture(o.shardId());
    }

    /**
     * The node returning is a replica of the primary (rebuilt first when it is not and a rebuilder is configured),
     * and the map says so: a fenced node becomes a replica, synchronous when the primary waits for it.
     */
    private String rejoin(Orchestration o) {
        Engine engine = engine(o);
        Node node = candidate(o);
        Node primary = old(o);
        FailoverActions.ReplicaCheck check;
        String rebuilt = "";
        try {
            check = actions.replicaOf(node, primary, engine, config.failoverConfirmTimeout());
        } catch (ControlApiException notYet) {
            ControlApi.NodeRebuilder r = rebuilder;
            if (engine == Engine.MARIADB && actions.unreachable(node, engine, config.failoverConfirmTimeout())
                    == null) { // ADR 0032: re-attached by GTID when it holds nothing the primary lacks, else refused
                List<String> errant = actions.errantTransactions(node, primary, engine,
                        config.failoverConfirmTimeout());
                if (!errant.isEmpty()) {
                    throw new ControlApiException(errantMessage(node, primary, errant));
                }
                rebuilt = "re-attached without a rebuild (no errant GTID): " + actions.follow(node, primary, engine,
                        config.failoverConfirmTimeout()) + "; ";
            } else if (r == null) {
                throw notYet;
            } else {
                rebuilt = r.rebuildAsReplica(node, primary, engine) + "; ";
            }
            check = actions.replicaOf(node, primary, engine, config.failoverConfirmTimeout());
        }
        if (o.kind().equals("failback")) { // it is promoted next: capture's slots must survive that
            long deadline = System.nanoTime() + config.failoverPromoteTimeout().toNanos();
            String missing;
            boolean waited = false;
            while ((missing = actions.slotCopiesMissing(node, primary, engine, config.failoverConfirmTimeout()))
                    != null) {
                if (stopping || System.nanoTime() > deadline) {
                    throw new ControlApiException(missing + " after " + config.failoverPromoteTimeout().toMillis()
                            + " ms: promoting it now would lose change capture's position; try again");
                }
                pause(200);
                waited = true;
            }
            if (waited) {
                // read again: the step's detail says what is promoted next, not what the slots were before the wait
                // (a copy still temporary then read as "capture will miss changes" in a failback that went well)
                check = actions.replicaOf(node, primary, engine, config.failoverConfirmTimeout());
            }
        }
        NodeRole role = check.synchronous() ? NodeRole.SYNC_REPLICA : NodeRole.REPLICA;
        if (node.role() == role) {
            return rebuilt + check.detail() + "; already a " + role.wireName() + " in the map";
        }
        MapTransactionRunner.Committed<Long> c = runner.run(o.kind() + " of " + node.nodeId() + ": "
                + role.wireName() + " of shard " + o.shardId(), map -> {
                    Node n = map.node(node.nodeId()).orElseThrow(() -> ApiProblem.conflict("node " + node.nodeId()
                            + " left the map"));
                    return MapTransactionRunner.Plan.put(List.of(n.withRole(role)), map.version());
                });
        return rebuilt + check.detail() + "; map version " + c.mapVersion() + ": " + node.nodeId() + " is a "
                + role.wireName();
    }

    /** What an operator's request was checked against: the map then, the shard and its primary. */
    private record Checked(ShardMapSnapshot map, Shard shard, Node primary) {
    }

    /**
     * The checks every operator request of {@code kind} starts with: 503 when this instance does not write the map,
     * 404 unknown shard, 409 engine not supported, an orchestration already running on the shard, or no primary.
     */
    private Checked checked(String shardId, String kind) {
        if (runner.fencedAt() != null) {
            throw ApiProblem.unavailable("this control-API instance no longer writes the map (another took over);"
                    + " ask that one", config.retryAfterSeconds());
        }
        ShardMapSnapshot map = source.current();
        Shard shard = map.shard(shardId).orElseThrow(() -> ApiProblem.notFound("no shard " + shardId));
        if (!failsOver(shard.engine())) {
            throw ApiProblem.conflict(kind + " of " + shard.engine().wireName() + " shards is not supported yet"
                    + " (shard " + shardId + ")");
        }
        runningFor(shardId).ifPresent(o -> {
            throw ApiProblem.conflict("orchestration " + o.id() + " (" + o.kind() + ") is running on shard "
                    + shardId + " (next step " + o.nextStep() + ")");
        });
        Node primary = map.primaryOf(shardId).orElseThrow(() -> ApiProblem.conflict("shard " + shardId
                + " has no primary in map version " + map.version()));
        return new Checked(map, shard, primary);
    }

    /** Which engines have orchestrations: PostgreSQL and MariaDB, all of them (ADR 0015, 0024, 0032, 0035). */
    private static boolean failsOver(Engine engine) {
        return engine == Engine.POSTGRES || engine == Engine.MARIADB;
    }

    /** The shard's replicas, the best to promote first: the synchronous one, then by replay lag at the last probe. */
    private List<Node> replicasBestFirst(ShardMapSnapshot map, String shardId) {
        return map.nodesOf(shardId).stream().filter(n -> n.role() == NodeRole.SYNC_REPLICA
                || n.role() == NodeRole.REPLICA).sorted(Comparator.comparing((Node n) -> n.role()
                == NodeRole.SYNC_REPLICA ? 0 : 1).thenComparingLong(this::lagBytes)).toList();
    }

    /** Stores an operator's orchestration, checked and prepared, and runs its next step now. */
    private Orchestration launch(Orchestration o, String what) {
        log.append(o);
        onEvent(o);
        LOG.warn("orchestration {}: {}", o.id(), what);
        count(o);
        drive(o.id());
        return o;
    }

    private Orchestration begin(String shardId, Node primary, String trigger, String detail) {
        String id = "fo-" + UUID.randomUUID().toString().substring(0, 8);
        Orchestration o = Orchestration.failover(id, shardId, primary.nodeId(), trigger, clock.millis(), detail);
        log.append(o);
        onEvent(o);
        LOG.warn("orchestration {}: failing shard {} over from primary {} ({})", id, shardId, primary.nodeId(), detail);
        count(o);
        if (runner.fencedAt() == null && log.caughtUp()) {
            drive(id);
        }
        return o;
    }

    private Optional<Orchestration> runningFor(String shardId) {
        return all.values().stream().filter(o -> o.shardId().equals(shardId) && !o.state().ended()).findFirst();
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("failover tick failed: {}", e.toString(), e);
        }
    }

    private void tick() {
        if (stopping || runner.fencedAt() != null || !log.caughtUp()) {
            return; // resumes only with every stored event read, and only where this instance writes the map
        }
        if (config.failoverAuto()) {
            detect(source.current());
        }
        for (Orchestration o : all.values()) {
            if (!o.state().ended()) {
                drive(o.id());
            }
        }
    }

    /** Runs the orchestration's steps one after another on a worker, unless one already does. */
    private void drive(String id) {
        if (stopping || !busy.add(id)) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    while (runStep(id)) {
                        // the next step at once: a step left for the next tick would add to the write pause
                    }
                } finally {
                    busy.remove(id);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            busy.remove(id); // stopping
        }
    }

    private void detect(ShardMapSnapshot map) {
        long now = clock.millis();
        for (Shard shard : map.shards()) {
            if (!failsOver(shard.engine()) || runningFor(shard.shardId()).isPresent()
                    || recentlyEndedUnpromoted(shard.shardId(), now)) {
                continue;
            }
            List<Node> replicas = replicasBestFirst(map, shard.shardId());
            if (replicas.isEmpty()) {
                continue; // a shard without a replica has nothing to promote: no orchestration that can only fail
            }
            Node primary = map.primaryOf(shard.shardId()).orElse(null);
            if (primary == null) {
                continue;
            }
            NodeHealth h = health.apply(primary.nodeId());
            if (h.status() != HealthStatus.SUSPECT && h.status() != HealthStatus.DOWN) {
                nothingToPromote.remove(shard.shardId());
                continue;
            }
            if (replicas.stream().allMatch(r -> health.apply(r.nodeId()).status() == HealthStatus.DOWN)) {
                // an orchestration could only fail, again and again, and would stand in the way of promote-standby
                if (nothingToPromote.add(shard.shardId())) {
                    LOG.warn("shard {}: primary {} does not answer and neither does any replica ({}); no failover"
                            + " is started until one answers. If the shard's region is lost: fleetshard"
                            + " promote-standby --shard {}", shard.shardId(), primary.nodeId(),
                            replicas.stream().map(Node::nodeId).toList(), shard.shardId());
                }
                continue;
            }
            nothingToPromote.remove(shard.shardId());
            begin(shard.shardId(), primary, MONITOR_TRIGGER, "primary " + primary.nodeId() + ": "
                    + h.consecutiveFailures() + " failed probe(s) in a row, last: " + h.lastError()
                    + (h.lastSuccessAt() != null ? "; last answered at " + h.lastSuccessAt() : ""));
        }
    }

    private boolean recentlyEndedUnpromoted(String shardId, long now) {
        return all.values().stream().anyMatch(o -> o.shardId().equals(shardId)
                && (o.state() == Orchestration.State.ABORTED
                        || o.state() == Orchestration.State.FAILED && o.trigger().equals(MONITOR_TRIGGER))
                && now - o.endedAtMs() < DETECTION_COOLDOWN_MS);
    }

    /** Runs the next step and stores it; true when the orchestration goes on (run its next step now). */
    private boolean runStep(String id) {
        Orchestration o = all.get(id);
        if (o == null || o.state().ended() || stopping || runner.fencedAt() != null) {
            return false;
        }
        String step = o.nextStep();
        long started = clock.millis();
        Orchestration next;
        try {
            next = switch (step) {
                case "declare" -> declare(o, started);
                case "promote" -> o.withStep(done("promote", started, o.kind().equals("promote-standby")
                        ? actions.promoteStandby(candidate(o), engine(o), o.shardId(), "orchestration " + o.id(),
                                config.failoverPromoteTimeout())
                        : promote(o)), null);
                case "update-map" -> o.withStep(done("update-map", started, updateMap(o)), null);
                case "verify" -> o.withStep(done("verify", started, verify(o, started)), null);
                case "freeze" -> {
                    String frozenAt = actions.freeze(old(o), engine(o), config.failoverConfirmTimeout());
                    String kind = engine(o) == Engine.POSTGRES ? "WAL" : "GTID";
                    yield o.withStep(new Orchestration.Step("freeze", started, clock.millis(), true, "writes frozen on "
                            + o.fromNodeId() + " at " + kind + " position " + frozenAt, frozenAt), null);
                }
                case "catch-up" -> o.withStep(done("catch-up", started, o.kind().equals("promote-standby")
                        ? standbyCatchUp(o, started) : catchUp(o)), null);
                case "capture-reset" -> o.withStep(done("capture-reset", started, captureReset(o)), null);
                case "rejoin" -> o.withStep(done("rejoin", started, rejoin(o)), null);
                default -> throw new IllegalStateException("unknown step " + step);
            };
        } catch (ApiProblem e) {
            if (e.status() == 503) { // the map log is unreachable or busy: the step is tried again
                LOG.warn("orchestration {}: step {} will be retried: {}", id, step, e.getMessage());
                return false;
            }
            next = o.withStep(new Orchestration.Step(step, started, clock.millis(), false, e.getMessage()
                    + thawAfterFailure(o)), null);
        } catch (MapUnavailableException e) {
            LOG.warn("orchestration {}: step {} will be retried: {}", id, step, e.getMessage());
            return false;
        } catch (RuntimeException e) {
            if (stopping) {
                return false;
            }
            next = o.withStep(new Orchestration.Step(step, started, clock.millis(), false, e.getMessage()
                    + thawAfterFailure(o)), null);
        }
        log.append(next);
        onEvent(next);
        Orchestration.Step last = next.steps().get(next.steps().size() - 1);
        LOG.info("orchestration {}: {} {} in {} ms: {}", id, step, last.ok() ? "done" : "failed",
                last.endedAtMs() - last.startedAtMs(), last.detail());
        if (!next.state().ended()) {
            return true;
        }
        LOG.warn("orchestration {} of shard {} ended {} after {} ms", id, next.shardId(), next.state().wireName(),
                next.endedAtMs() - next.startedAtMs());
        count(next);
        return false;
    }

    /** A switchover or failback that failed after its freeze and before its promotion gives the primary its writes back. */
    private String thawAfterFailure(Orchestration o) {
        if (!o.plannedSteps().contains("freeze") || !o.did("freeze") || o.did("promote")) {
            return "";
        }
        try {
            return "; " + actions.thaw(old(o), engine(o), config.failoverConfirmTimeout());
        } catch (RuntimeException e) {
            return "; could not thaw " + o.fromNodeId() + ": " + e.getMessage();
        }
    }

    /** Waits (up to the confirmation timeout, a few seconds) until the target replayed through the freeze. */
    private String catchUp(Orchestration o) {
        String position = o.steps().stream().filter(s -> s.name().equals("freeze") && s.ok()).findFirst()
                .map(Orchestration.Step::position).orElseThrow(() -> new ControlApiException("the freeze step"
                        + " recorded no WAL position"));
        Node target = candidate(o);
        long deadline = System.nanoTime() + config.failoverPromoteTimeout().toNanos();
        while (!actions.caughtUp(target, engine(o), position, config.failoverConfirmTimeout())) {
            if (stopping) {
                throw new ControlApiException("stopped while waiting for " + target.nodeId() + " to catch up");
            }
            if (System.nanoTime() > deadline) {
                throw new ControlApiException(target.nodeId() + " did not replay up to " + position + " within "
                        + config.failoverPromoteTimeout().toMillis() + " ms");
            }
            pause(2);
        }
        return target.nodeId() + " replayed up to " + position;
    }

    private Node old(Orchestration o) {
        return source.current().node(o.fromNodeId()).orElseThrow(() -> new ControlApiException("node "
                + o.fromNodeId() + " left the map"));
    }

    private Orchestration declare(Orchestration o, long started) {
        ShardMapSnapshot map = source.current();
        Engine engine = engine(o);
        Node old = map.node(o.fromNodeId()).orElseThrow(() -> new ControlApiException("node " + o.fromNodeId()
                + " left the map"));
        if (old.role() != NodeRole.PRIMARY) {
            throw new ControlApiException(old.nodeId() + " is no longer the primary of " + o.shardId() + " (it is "
                    + old.role().wireName() + ")");
        }
        String last = null;
        int attempts = config.failoverConfirmAttempts();
        for (int i = 0; i < attempts; i++) {
            if (i > 0) {
                pause(config.failoverConfirmIntervalMs());
            }
            if (stopping) {
                throw new ControlApiException("stopped while confirming that " + old.nodeId() + " is down");
            }
            last = actions.unreachable(old, engine, config.failoverConfirmTimeout());
            if (last == null) {
                return o.aborted(new Orchestration.Step("declare", started, clock.millis(), true, "primary "
                        + old.nodeId() + " answered on confirmation attempt " + (i + 1) + ": no failover"));
            }
        }
        List<Node> candidates = replicasBestFirst(map, o.shardId());
        List<String> refused = new ArrayList<>();
        if (engine == Engine.MARIADB) {
            return declareByGtid(o, started, old, attempts, last, candidates);
        }
        for (Node c : candidates) {
            String why = actions.unreachable(c, engine, config.failoverConfirmTimeout());
            if (why == null) {
                String rpo = c.role() == NodeRole.SYNC_REPLICA ? "synchronous replica: no acknowledged write lost"
                        : "asynchronous replica, " + lagBytes(c) + " WAL byte(s) behind at its last probe: writes"
                                + " acknowledged after that may be lost";
                return o.withStep(done("declare", started, "primary " + old.nodeId() + " did not answer "
                        + attempts + " confirmation probe(s) (last: " + last + "); promoting " + c.nodeId() + " ("
                        + rpo + ")" + (refused.isEmpty() ? "" : "; passed over: " + String.join(", ", refused))),
                        c.nodeId());
            }
            refused.add(c.nodeId() + " (" + why + ")");
        }
        throw new ControlApiException("primary " + old.nodeId() + " is down and no replica can be promoted"
                + (refused.isEmpty() ? " (the shard has none)" : ": " + String.join(", ", refused))
                + "; writes to shard " + o.shardId() + " fail until it returns (if its region is lost: fleetshard"
                + " promote-standby --shard " + o.shardId() + ")");
    }

    /**
     * MariaDB (ADR 0024): of the reachable replicas, the one that received the most from the dead primary (its
     * {@code Gtid_IO_Pos}); the semi-synchronous one first among equals. With semi-sync, a commit returned to its
     * client only once a replica had received it, so the most advanced replica holds every acknowledged write.
     */
    private Orchestration declareByGtid(Orchestration o, long started, Node old, int attempts, String last,
            List<Node> candidates) {
        List<String> refused = new ArrayList<>();
        List<Node> reachable = new ArrayList<>();
        Map<String, GtidPositions> received = new java.util.HashMap<>();
        Map<String, String> receivedText = new java.util.LinkedHashMap<>();
        for (Node c : candidates) {
            String why = actions.unreachable(c, Engine.MARIADB, config.failoverConfirmTimeout());
            if (why != null) {
                refused.add(c.nodeId() + " (" + why + ")");
                continue;
            }
            String position = actions.receivedPosition(c, Engine.MARIADB, config.failoverConfirmTimeout());
            GtidPositions parsed;
            try {
                parsed = position == null ? null : GtidPositions.parse(position);
            } catch (IllegalArgumentException e) {
                parsed = null;
            }
            if (parsed == null) {
                refused.add(c.nodeId() + " (answers but replicates from nothing: no received GTID position)");
                continue;
            }
            reachable.add(c);
            received.put(c.nodeId(), parsed);
            receivedText.put(c.nodeId(), position.isEmpty() ? "(none)" : position);
        }
        if (reachable.isEmpty()) {
            throw new ControlApiException("primary " + old.nodeId() + " is down and no replica can be promoted"
                    + (refused.isEmpty() ? " (the shard has none)" : ": " + String.join(", ", refused))
                    + "; writes to shard " + o.shardId() + " fail until it returns (if its region is lost: fleetshard"
                + " promote-standby --shard " + o.shardId() + ")");
        }
        // stable: among replicas that received as much, the order of replicasBestFirst (synchronous first) stays
        Node best = reachable.stream().sorted(Comparator.comparingLong((Node n) -> received.get(n.nodeId())
                .transactions()).reversed()).findFirst().orElseThrow();
        GtidPositions bestPosition = received.get(best.nodeId());
        List<String> notCovered = reachable.stream().filter(n -> !bestPosition.covers(received.get(n.nodeId())))
                .map(Node::nodeId).toList();
        String rpo = best.role() == NodeRole.SYNC_REPLICA
                ? "semi-synchronous replica that received the most: no write acknowledged under semi-sync lost"
                : "the replica that received the most; asynchronous: writes acknowledged without it may be lost";
        rpo += semiSyncAtLastProbe(old);
        return o.withStep(done("declare", started, "primary " + old.nodeId() + " did not answer " + attempts
                + " confirmation probe(s) (last: " + last + "); promoting " + best.nodeId() + " (" + rpo
                + "); received GTID positions " + receivedText
                + (notCovered.isEmpty() ? "" : "; " + notCovered + " received transactions " + best.nodeId()
                        + " lacks (another GTID domain): rebuild them from it")
                + (refused.isEmpty() ? "" : "; passed over: " + String.join(", ", refused))), best.nodeId());
    }

    /**
     * What the health monitor last saw of the dead MariaDB primary's semi-sync (ADR 0024): a primary that fell back to
     * asynchronous (no acknowledgement within {@code rpl_semi_sync_master_timeout}) acknowledged commits no replica had
     * received, so RPO 0 did not hold from then on.
     */
    private String semiSyncAtLastProbe(Node old) {
        NodeHealth h = health.apply(old.nodeId());
        if (h.semiSync() == null) {
            return "";
        }
        if (h.semiSync().on()) {
            return "; semi-sync was on at the primary's last successful probe (" + h.lastSuccessAt() + ")";
        }
        return "; WARNING: semi-sync had fallen back to asynchronous on the primary (off at its last successful probe, "
                + h.lastSuccessAt() + ", since " + h.semiSyncOffSince() + "; " + h.semiSync().asyncCommits()
                + " commit(s) not acknowledged by a replica since the server started): writes acknowledged while it"
                + " was off may be lost (RPO not 0)";
    }

    private long lagBytes(Node n) {
        Long lag = health.apply(n.nodeId()).replicationLagBytes();
        return lag == null ? Long.MAX_VALUE : lag;
    }

    private String updateMap(Orchestration o) {
        Engine engine = engine(o);
        Node old = source.current().node(o.fromNodeId()).orElse(null);
        String fenced = old == null ? "old primary left the map" : actions.fence(old, engine,
                config.failoverConfirmTimeout());
        ShardMapSnapshot current = source.current();
        Node promoted = candidate(o);
        if (promoted.role() == NodeRole.PRIMARY) {
            return "map version " + current.version() + " already has " + promoted.nodeId() + " as primary; " + fenced;
        }
        // MariaDB switchover and failback (ADR 0024, 0032): the frozen old primary follows the new one,
        // semi-synchronously, and stays in the shard as its sync-replica; when that fails it is fenced, as on PostgreSQL
        String follows = null;
        if (engine == Engine.MARIADB && (o.kind().equals("switchover") || o.kind().equals("failback"))
                && old != null) {
            try {
                follows = actions.follow(old, promoted, engine, config.failoverConfirmTimeout());
            } catch (ControlApiException e) {
                fenced = fenced + "; not made a replica (" + e.getMessage() + "), so fenced";
            }
        }
        NodeRole oldRole = follows == null ? NodeRole.FENCED : NodeRole.SYNC_REPLICA;
        MapTransactionRunner.Committed<Long> c = runner.run("fail shard " + o.shardId() + " over to "
                + promoted.nodeId(), map -> {
                    Shard shard = map.shard(o.shardId()).orElseThrow(() -> ApiProblem.conflict("shard "
                            + o.shardId() + " left the map"));
                    Node p = map.node(promoted.nodeId()).orElseThrow(() -> ApiProblem.conflict("node "
                            + promoted.nodeId() + " left the map"));
                    List<MapEntity> puts = new ArrayList<>();
                    Shard next = shard.nextEpoch();
                    puts.add(next);
                    puts.add(p.withRole(NodeRole.PRIMARY));
                    map.node(o.fromNodeId()).filter(n -> n.role() == NodeRole.PRIMARY)
                            .ifPresent(n -> puts.add(n.withRole(oldRole)));
                    if (o.kind().equals("promote-standby")) { // replicas of the lost primary hold another history
                        map.nodesOf(o.shardId()).stream().filter(n -> !n.nodeId().equals(promoted.nodeId())
                                && (n.role() == NodeRole.SYNC_REPLICA || n.role() == NodeRole.REPLICA))
                                .forEach(n -> puts.add(n.withRole(NodeRole.FENCED)));
                    }
                    return MapTransactionRunner.Plan.put(puts, next.epoch());
                });
        return "map version " + c.mapVersion() + ": " + promoted.nodeId() + " primary, " + o.fromNodeId() + " "
                + oldRole.wireName() + ", shard epoch " + c.result() + "; " + (follows == null ? fenced : follows);
    }

    private String verify(Orchestration o, long started) {
        String seen = actions.verifyWritable(candidate(o), engine(o), config.failoverConfirmTimeout());
        String lost = engine(o) == Engine.MARIADB && o.kind().equals("failover") ? "; " + lostTransactions(o) : "";
        return seen + "; " + (started - o.startedAtMs()) + " ms since detection" + lost;
    }

    /** How many shard-log records the verify step searches for transactions the new primary lacks (as capture). */
    static final int LOST_TRANSACTIONS_LOOK_BACK = 10_000;

    /**
     * ADR 0029: the transactions change capture published (the end of the shard log) that the promoted MariaDB replica
     * does not hold — the dead primary wrote them to its binlog, capture read them, the replica never received them;
     * none was acknowledged to its client. Capture retracts their changes when it resumes on the new primary.
     */
    private String lostTransactions(Orchestration o) {
        ShardLogs logs = shardLogs;
        if (logs == null) {
            return "published changes not compared with the new primary (no shard logs attached)";
        }
        try {
            Node promoted = candidate(o);
            GtidPositions held = GtidPositions.parse(actions.binlogPosition(promoted, Engine.MARIADB,
                    config.failoverConfirmTimeout()));
            List<String> lost = logs.lastTransactionIds(o.shardId(), LOST_TRANSACTIONS_LOOK_BACK).stream()
                    .filter(tx -> tx.matches("\\d+-\\d+-\\d+") && !held.covers(GtidPositions.parse(tx))).toList();
            if (lost.isEmpty()) {
                return "change capture published no transaction " + promoted.nodeId() + " lacks";
            }
            LOG.warn("Shard {}: change capture published {} transaction(s) that the new primary {} does not hold: {}"
                    + " (never acknowledged; capture retracts their changes, ADR 0029)", o.shardId(), lost.size(),
                    promoted.nodeId(), lost);
            return "lost transactions: change capture published " + lost.size() + " transaction(s) " + promoted.nodeId()
                    + " does not hold (never acknowledged to a client): " + String.join(",", lost)
                    + "; capture retracts their changes when it resumes (ADR 0029)";
        } catch (ControlApiException | IllegalArgumentException e) {
            return "published changes not compared with the new primary (" + e.getMessage() + ")";
        }
    }

    private Node candidate(Orchestration o) {
        if (o.toNodeId() == null) {
            throw new ControlApiException("no candidate was chosen");
        }
        return source.current().node(o.toNodeId()).orElseThrow(() -> new ControlApiException("node "
                + o.toNodeId() + " left the map"));
    }

    private Engine engine(Orchestration o) {
        return source.current().shard(o.shardId()).map(Shard::engine).orElseThrow(() -> new ControlApiException(
                "shard " + o.shardId() + " left the map"));
    }

    private Orchestration.Step done(String name, long started, String detail) {
        return new Orchestration.Step(name, started, clock.millis(), true, detail);
    }

    private void count(Orchestration o) {
        Counter.builder("fleetshard.control.orchestrations").tag("kind", o.kind()).tag("state", o.state().wireName())
                .description("Orchestrations started (state running) and ended, by kind and outcome")
                .register(registry).increment();
    }

    /** Waits {@code ms} unless the orchestrator stops (no sleeping thread in the control API). */
    private void pause(long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        synchronized (waiter) {
            long left;
            while (!stopping && (left = deadline - System.nanoTime()) > 0) {
                try {
                    waiter.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ControlApiException("interrupted (the control API stops)", e);
                }
            }
        }
    }

    @Override
    public void close() {
        stopping = true;
        synchronized (waiter) {
            waiter.notifyAll();
        }
        ticker.shutdownNow();
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.close();
    }

}
