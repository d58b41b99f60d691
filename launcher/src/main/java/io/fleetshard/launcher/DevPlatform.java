package io.fleetshard.launcher;

import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.controlapi.ControlApi;
import io.fleetshard.controlapi.ControlApiConfig;
import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import io.fleetshard.router.FleetSchema;
import io.fleetshard.router.Router;
import io.fleetshard.shardmap.DynamoDbMapMirror;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.MapMirrorSync;
import io.fleetshard.shardmap.MapSnapshotFile;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapSnapshot;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.testkit.DynamoDbLocal;
import io.fleetshard.testkit.EmbeddedKafka;
import io.fleetshard.testkit.FileTrees;
import io.fleetshard.testkit.MariaDbNode;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.S3Server;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * {@code fleetshard dev}: every component in one process on embedded services, with the demo topology. Starts the
 * independent servers in parallel, registers what the map lacks through the control API, and stops everything in
 * reverse order.
 */
public final class DevPlatform implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DevPlatform.class);
    static final String MIRROR_TABLE = "fleetshard-shardmap";
    /** How long start() waits for every capture lane to finish its initial snapshot and stream. */
    static final Duration CAPTURE_STREAMING_TIMEOUT = Duration.ofMinutes(2);
    /** How long start() waits, at most, for the stream processors' first rebalance (see awaitStreamProcessors). */
    static final Duration STREAMS_RUNNING_TIMEOUT = Duration.ofSeconds(30);

    private final DevOptions options;
    /** Components, closed last-registered first, all before any server. */
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    /** Embedded servers (databases, Kafka, S3, DynamoDB): stopped together once no component uses them. */
    private final List<AutoCloseable> servers = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<String, String> nodeJdbcUrls = new ConcurrentSkipListMap<>(); // filled by parallel shard starts
    private final Map<String, String> adminJdbcUrls = new ConcurrentSkipListMap<>(); // primaries
    private final Map<String, String> replicaAdminJdbcUrls = new ConcurrentSkipListMap<>();
    private final Map<String, PostgresNode> postgresNodes = new ConcurrentSkipListMap<>(); // tests kill them
    /** The map follower's snapshot file in the data directory: the map a restart on kept data starts from. */
    static final String MAP_SNAPSHOT_FILE = "shardmap-snapshot.json";
    private final Map<String, MariaDbNode> mariaDbNodes = new ConcurrentSkipListMap<>(); // tests kill them
    private final Map<String, String> standbyAdminUrls = new ConcurrentSkipListMap<>(); // by shard id
    private long startNanos;
    private EmbeddedKafka kafka;
    private S3Server s3;
    private DynamoDbLocal dynamo;
    private ControlApi controlApi;
    private Router router;
    private io.fleetshard.cdc.CaptureWorker capture;
    private DevArchive archive;
    private DevStandby standby;
    private StreamProcessors streams;
    private DevIceberg iceberg;
    private String icebergCatalogUrl;
    private Path streamsDir;
    private ShardMapFollower follower;
    private ShardMapLogConfig mapLog;
    private String jwtSecret;
    private JwtMinter tokens;
    private boolean closed;
    /** Null once start() finished; else what it is doing, as /readyz of the router and control API answer it. */
    private volatile String starting = "fleetshard dev is starting its servers";

    public DevPlatform(DevOptions options) {
        this.options = options;
    }

    public void start() {
        startNanos = System.nanoTime();
        Path data = options.dataDir();
        if (options.fresh()) {
            FileTrees.deleteRecursively(data);
        }
        try {
            Files.createDirectories(data.resolve("tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + data, e);
        }
        DevPorts ports = new DevPorts(data);
        String tenantSecret = DevSecrets.tenantSecret(data);
        jwtSecret = DevSecrets.jwtSecret(data);
        tokens = JwtMinter.withDefaults(jwtSecret);

        CompletableFuture<EmbeddedKafka> kafkaF = CompletableFuture.supplyAsync(
                () -> EmbeddedKafka.start(data.resolve("kafka"), ports.portFor("kafka")));
        CompletableFuture<S3Server> s3F = CompletableFuture.supplyAsync(
                () -> S3Server.start(data.resolve("s3"), ports.portFor("s3")));
        CompletableFuture<DynamoDbLocal> dynamoF = CompletableFuture.supplyAsync(() -> DynamoDbLocal.start(
                data.resolve("dynamodb"), ports.portFor("dynamodb")));
        // the roles the map held when this data was last used: a failed-over shard restarts as it was left
        ShardMapSnapshot kept = MapSnapshotFile.read(data.resolve(MAP_SNAPSHOT_FILE))
                .map(MapSnapshotFile.Loaded::snapshot).orElse(null);
        List<CompletableFuture<Void>> shards = new ArrayList<>();
        for (DemoTopology.DemoShard shard : DemoTopology.SHARDS) {
            KeptRoles roles = KeptRoles.of(shard, kept);
            shards.add(CompletableFuture.runAsync(() -> startShard(shard, roles, data, ports, tenantSecret)));
        }
        shards.add(CompletableFuture.runAsync(() -> startIcebergCatalog(data, ports)));
        kafka = registerServer(kafkaF.join());
        s3 = registerServer(s3F.join());
        dynamo = registerServer(dynamoF.join());
        CompletableFuture.allOf(shards.toArray(CompletableFuture[]::new)).join();
        starting = "fleetshard dev is starting its components";

        ShardMapLogConfig log = ShardMapLogConfig.defaults(kafka.bootstrapServers());
        follower = register(ShardMapFollower.start(log, data.resolve(MAP_SNAPSHOT_FILE)));
        mapLog = log;
        ShardMapWriter writer = register(ShardMapWriter.open(log, follower));
        DynamoDbClient dynamoClient = register(dynamo.newClient());
        DynamoDbMapMirror mirror = new DynamoDbMapMirror(dynamoClient, MIRROR_TABLE);
        mirror.ensureTable();
        register(MapMirrorSync.attach(follower, mirror));

        // The health monitor probes as the router's role: it may run SELECT 1 and read WAL positions, nothing more.
        controlApi = register(newControlApi(writer));
        router = register(DevRouter.start(options.routerPort(), follower, tenantSecret, jwtSecret));
        router.addReadinessCheck(() -> starting);

        DemoSetup demo = new DemoSetup("http://127.0.0.1:" + controlApi.port(), "http://127.0.0.1:" + router.port(),
                token(Role.ADMIN, null, Duration.ofMinutes(10)));
        demo.registerMissing(follower.current(), nodeJdbcUrls);
        reconcileNodeUrls(follower, writer);
        demo.insertDemoVehicles(follower.current());
        capture = register(DevCapture.start(kafka.bootstrapServers(), follower));
        streams = register(StreamProcessors.start(kafka.bootstrapServers(), follower, data.resolve("streams"),
                controlApi.registry(), 5_000));
        streamsDir = data.resolve("streams");
        ArchiveEncryption archiveKeys = DevArchive.devKeys(data); // platinum tenants' archive rows sealed (ADR 0025)
        archive = register(DevArchive.start(kafka.bootstrapServers(), s3, archiveKeys));
        standby = register(DevStandby.start(archive.store(), standbyAdminUrls, archiveKeys));
        controlApi.attachArchive(archive.store()); // the standby endpoint reports the archive's newest manifests too
        iceberg = register(DevIceberg.start(kafka.bootstrapServers(), icebergCatalogUrl, s3));
        awaitCaptureStreaming();
        awaitStreamProcessors();
        starting = null;
        LOG.info("fleetshard dev ready in {} ms", Duration.ofNanos(System.nanoTime() - startNanos).toMillis());
    }

    /**
     * Waits (briefly, never failing) for the stream processors' first rebalance: Ctrl-C right after "up" then stops
     * them at once instead of waiting out Kafka Streams' close timeout. Usually done by the time capture streams.
     */
    private void awaitStreamProcessors() {
        starting = "fleetshard dev is waiting for the stream processors to join their group";
        try {
            if (!streams.awaitRunning(STREAMS_RUNNING_TIMEOUT)) {
                LOG.warn("the hot-fleet detector does not run yet after {} s; going on without waiting for it",
                        STREAMS_RUNNING_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the stream processors", e);
        }
    }

    /**
     * Waits until every shard that capture should read (those owning part of the ring, with a primary) is past its
     * initial snapshot and streams: a write committed before that could reach the change topics as a snapshot read
     * ({@code op=r}) instead of a change. The snapshots ran meanwhile, in parallel with the later components' start.
     */
    private void awaitCaptureStreaming() {
        ShardMapSnapshot map = follower.current();
        List<String> shardIds = map.shards().stream()
                .filter(s -> s.status().ownsRing() && map.primaryOf(s.shardId()).isPresent())
                .map(io.fleetshard.shardmap.Shard::shardId).toList();
        starting = "fleetshard dev is waiting for change capture to finish its initial snapshots of " + shardIds;
        long t0 = System.nanoTime();
        try {
            capture.awaitStreaming(shardIds, CAPTURE_STREAMING_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for change capture to stream " + shardIds, e);
        }
        LOG.info("change capture streams {} ({} ms after it was ready to start)", shardIds,
                Duration.ofNanos(System.nanoTime() - t0).toMillis());
    }

    /**
     * Which of a demo shard's two nodes a restart starts as its primary, and whether the other one is started (as its
     * replica): the layout's ({@code -a} primary, {@code -b} replica) on new data; on kept data, the roles of the map
     * the data was last used with, so that a shard left failed over restarts failed over (the promoted node as the
     * primary, the fenced one not started: {@code fleetshard failback|rejoin} brings it back).
     */
    record KeptRoles(String primaryId, String otherId, boolean otherStarts, String why) {
        static KeptRoles of(DemoTopology.DemoShard shard, ShardMapSnapshot kept) {
            String a = shard.primaryNodeId();
            String b = shard.replicaNodeId();
            KeptRoles layout = new KeptRoles(a, b, shard.withReplica(), null);
            if (kept == null || !shard.withReplica() || shard.engine() == Engine.MYSQL) {
                return layout;
            }
            String primary = kept.primaryOf(shard.shardId()).map(Node::nodeId).orElse(a);
            if (!primary.equals(a) && !primary.equals(b)) {
                return layout;
            }
            String other = primary.equals(a) ? b : a;
            boolean fenced = kept.node(other).map(n -> n.role() == io.fleetshard.shardmap.NodeRole.FENCED).orElse(false);
            String why = primary.equals(a) && !fenced ? null : "map version " + kept.version() + " has " + primary
                    + " as the primary" + (fenced ? " and " + other + " fenced" : "");
            return new KeptRoles(primary, other, !fenced, why);
        }
    }

    private void startShard(DemoTopology.DemoShard shard, KeptRoles roles, Path data, DevPorts ports,
            String tenantSecret) {
        String primaryId = roles.primaryId();
        stopOrphans(shard, data);
        switch (shard.engine()) {
            case POSTGRES -> {
                if (roles.why() != null) {
                    LOG.info("{}: restarting as the kept map left it: {}{}", shard.shardId(), roles.why(),
                            roles.otherStarts() ? "" : "; " + roles.otherId() + " stays stopped until `fleetshard"
                                    + " failback|rejoin --shard " + shard.shardId() + "` rebuilds it");
                }
                PostgresNode primary;
                try {
                    primary = registerServer(PostgresNode.startPrimary(data.resolve(primaryId),
                            ports.portFor(primaryId)));
                } catch (IllegalStateException e) {
                    throw new IllegalStateException("cannot restart " + shard.shardId() + " on the kept data ("
                            + e.getMessage() + "); start over with ./fleetshard dev --fresh", e);
                }
                postgresNodes.put(primaryId, primary);
                String replicaId = roles.otherId();
                Path replicaDir = data.resolve(replicaId);
                // A restarted primary waits for its synchronous replica on every commit: start the replica first.
                // A new replica is copied from the primary after the schema exists, so it starts with it.
                boolean replicaExists = roles.otherStarts() && Files.isDirectory(replicaDir);
                PostgresNode replica = replicaExists ? startReplica(primary, replicaId, replicaDir) : null;
                ensurePostgresDatabase(primary);
                adminJdbcUrls.put(primaryId, primary.jdbcUrl(DemoTopology.DATABASE));
                DevRouter.installSchema(shard.engine(), primary.jdbcUrl(DemoTopology.DATABASE), tenantSecret);
                nodeJdbcUrls.put(primaryId, DevRouter.appJdbcUrl(shard.engine(), primary.port()));
                if (roles.otherStarts() && replica == null) {
                    replica = startReplica(primary, replicaId, replicaDir);
                }
                if (replica != null) {
                    nodeJdbcUrls.put(replicaId, DevRouter.appJdbcUrl(shard.engine(), replica.port()));
                    replicaAdminJdbcUrls.put(replicaId, replica.jdbcUrl(DemoTopology.DATABASE));
                    postgresNodes.put(replicaId, replica);
                }
            }
            case MARIADB, MYSQL -> {
                if (roles.why() != null) {
                    LOG.info("{}: restarting as the kept map left it: {}{}", shard.shardId(), roles.why(),
                            roles.otherStarts() ? "" : "; " + roles.otherId() + " stays stopped until `fleetshard"
                                    + " failback|rejoin --shard " + shard.shardId() + "` rebuilds it");
                }
                // under the ids it last ran with: a rebuilt node's are not the layout's (DevMariaDbIds)
                DevMariaDbIds ids = DevMariaDbIds.read(data, primaryId, DevMariaDbIds.layout(shard, primaryId));
                MariaDbNode node = registerServer(MariaDbNode.start(data.resolve(primaryId), ports.portFor(primaryId),
                        ids.serverId(), ids.gtidDomain()));
                ids.write(data, primaryId);
                mariaDbNodes.put(primaryId, node);
                node.createDatabase(DemoTopology.DATABASE);
                adminJdbcUrls.put(primaryId, node.jdbcUrl(DemoTopology.DATABASE));
                DevRouter.installSchema(shard.engine(), node.jdbcUrl(DemoTopology.DATABASE), tenantSecret);
                nodeJdbcUrls.put(primaryId, DevRouter.appJdbcUrl(shard.engine(), node.port()));
                if (shard.withReplica()) {
                    // the health monitor probes as the app role: a replica's lag needs SHOW SLAVE STATUS
                    grantReplicaMonitor(node.jdbcUrl(DemoTopology.DATABASE));
                    // a new replica receives everything, schema included, from the binlog; it starts beside the warm
                    // standby's server, which does not depend on it, so that it adds less to the start
                    String replicaId = roles.otherId();
                    if (!roles.otherStarts()) {
                        break;
                    }
                    DevMariaDbIds replicaIds = DevMariaDbIds.read(data, replicaId, DevMariaDbIds.layout(shard,
                            replicaId));
                    // on kept data it goes on from its own GTID position (current_pos: what it applied and wrote)
                    boolean keptData = Files.isDirectory(data.resolve(replicaId));
                    CompletableFuture<MariaDbNode> replicaF = CompletableFuture.supplyAsync(() -> registerServer(
                            node.startReplica(data.resolve(replicaId), ports.portFor(replicaId),
                                    replicaIds.serverId(), replicaIds.gtidDomain(), true, keptData)));
                    startStandbyServer(shard, data, ports, tenantSecret);
                    MariaDbNode replica = replicaF.join();
                    replicaIds.write(data, replicaId);
                    mariaDbNodes.put(replicaId, replica);
                    nodeJdbcUrls.put(replicaId, DevRouter.appJdbcUrl(shard.engine(), replica.port()));
                    replicaAdminJdbcUrls.put(replicaId, replica.jdbcUrl(DemoTopology.DATABASE));
                    return;
                }
            }
        }
        startStandbyServer(shard, data, ports, tenantSecret);
    }

    private static void grantReplicaMonitor(String adminUrl) {
        String app = FleetSchema.DEFAULT_APP_ROLE;
        try (Connection c = DriverManager.getConnection(adminUrl); java.sql.Statement st = c.createStatement()) {
            st.execute("GRANT SLAVE MONITOR ON *.* TO '" + app + "'@'%', '" + app + "'@'localhost'");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot grant SLAVE MONITOR to " + app + ": " + e.getMessage(), e);
        }
    }

    /** The PostgreSQL server holding the Iceberg sink's JDBC catalog; nothing else uses it. */
    private void startIcebergCatalog(Path data, DevPorts ports) {
        Path dir = data.resolve(DevIceberg.CATALOG_NODE);
        PostgresNode.stopOrphan(dir);
        PostgresNode node = registerServer(PostgresNode.startPrimary(dir, ports.portFor(DevIceberg.CATALOG_NODE)));
        ensurePostgresDatabase(node, DevIceberg.CATALOG_DATABASE);
        icebergCatalogUrl = node.jdbcUrl(DevIceberg.CATALOG_DATABASE);
    }

    /**
     * The shard's warm standby in the second region: a database server of its own with the same schema and tenant
     * isolation, filled only by the standby applier from the S3 archive.
     */
    private void startStandbyServer(DemoTopology.DemoShard shard, Path data, DevPorts ports, String tenantSecret) {
        String nodeId = shard.standbyNodeId();
        String adminUrl;
        int port;
        if (shard.engine() == io.fleetshard.shardmap.Engine.POSTGRES) {
            PostgresNode standby = registerServer(PostgresNode.startPrimary(data.resolve(nodeId),
                    ports.portFor(nodeId)));
            ensurePostgresDatabase(standby);
            adminUrl = standby.jdbcUrl(DemoTopology.DATABASE);
            port = standby.port();
        } else {
            // server id 2 and a GTID domain of its own (2): the applier's transactions are not mistaken for the
            // shard primary's domain-0 history once the standby is promoted and captured (ADR 0035)
            MariaDbNode standby = registerServer(MariaDbNode.start(data.resolve(nodeId), ports.portFor(nodeId), 2,
                    STANDBY_GTID_DOMAIN));
            standby.createDatabase(DemoTopology.DATABASE);
            adminUrl = standby.jdbcUrl(DemoTopology.DATABASE);
            port = standby.port();
        }
        DevRouter.installSchema(shard.engine(), adminUrl, tenantSecret);
        standbyAdminUrls.put(shard.shardId(), adminUrl);
        nodeJdbcUrls.put(nodeId, DevRouter.appJdbcUrl(shard.engine(), port));
    }

    private PostgresNode startReplica(PostgresNode primary, String nodeId, Path dir) {
        return registerServer(primary.startReplica(dir, nodeId.replace('-', '_'), true));
    }

    /**
     * Stops database servers that a dev process which died without stopping them (kill -9) left on this shard's
     * directories, before ports are picked: they hold the remembered ports and lock their data. Servers started now
     * stop with this process however it ends (testkit's exit watchdogs); this covers older runs and lost watchdogs.
     */
    private static void stopOrphans(DemoTopology.DemoShard shard, Path data) {
        List<String> nodeIds = new ArrayList<>(List.of(shard.primaryNodeId(), shard.standbyNodeId()));
        if (shard.withReplica()) {
            nodeIds.add(shard.replicaNodeId());
        }
        for (String nodeId : nodeIds) {
            Path dir = data.resolve(nodeId);
            if (shard.engine() == io.fleetshard.shardmap.Engine.POSTGRES) {
                PostgresNode.stopOrphan(dir);
            } else {
                MariaDbNode.stopOrphan(dir);
            }
        }
    }

    private static void ensurePostgresDatabase(PostgresNode primary) {
        ensurePostgresDatabase(primary, DemoTopology.DATABASE);
    }

    private static void ensurePostgresDatabase(PostgresNode primary, String database) {
        try (Connection c = DriverManager.getConnection(primary.jdbcUrl("postgres"));
                PreparedStatement ps = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach PostgreSQL on port " + primary.port() + ": " + e, e);
        }
        primary.createDatabase(database);
    }

    /** Replicas get a new port when their server restarts; keep the map's JDBC URLs pointing at the live servers. */
    private ControlApi newControlApi(ShardMapWriter writer) {
        ControlApi api = new ControlApi(ControlApiConfig.defaults(jwtSecret)
                .with(ControlApiConfig.HTTP_PORT, Integer.toString(options.controlPort()))
                .with(ControlApiConfig.PROBE_USER, FleetSchema.DEFAULT_APP_ROLE)
                .with(ControlApiConfig.RESHARD_PG_USER, "postgres")
                .with(ControlApiConfig.RESHARD_MYSQL_USER, "root")
                // a primary found failing within a second or two is failed over (ADR 0015): kill one to try it
                .with(ControlApiConfig.PROBE_TIMEOUT_MS, "800")
                .with(ControlApiConfig.PROBE_INTERVAL_MS, "1000"), follower, writer, Clock.systemUTC()).start();
        api.addReadinessCheck(() -> starting);
        api.enableResharding(kafka.bootstrapServers(), "fleetshard.shardlog.");
        api.enableFailover(kafka.bootstrapServers(), this::rebuildAsReplica);
        api.resetCaptureWith(CaptureReset.of(kafka.bootstrapServers())); // a promoted standby is captured anew
        api.enableAudit(kafka.bootstrapServers()); // every change through the API, in fleetshard.audit (ADR 0018)
        return api;
    }

    /**
     * Tests: another control-API instance takes over, as after a crash of this one: the running one stops (its reshard
     * workers are interrupted mid-phase), a new map writer fences the old one, and a new control API (on a new port
     * unless one was configured) resumes every unfinished job from its phase in the map.
     */
    synchronized void replaceControlApi() {
        controlApi.stop();
        if (archive != null) {
            controlApi = register(newControlApi(register(ShardMapWriter.open(mapLog, follower))));
            controlApi.attachArchive(archive.store());
        } else {
            controlApi = register(newControlApi(register(ShardMapWriter.open(mapLog, follower))));
        }
    }

    /** Tests: the stream processors stop, so that ones in another process (on the same map and topics) take over. */
    synchronized void stopStreamProcessors() {
        streams.close();
    }

    /** Tests: the stream processors stop and new ones start on the same state, as after a crash of their process. */
    synchronized void replaceStreamProcessors() {
        streams.close();
        streams = register(StreamProcessors.start(kafka.bootstrapServers(), follower, streamsDir,
                controlApi.registry(), 5_000));
    }

    private void reconcileNodeUrls(ShardMapFollower follower, ShardMapWriter writer) {
        ShardMapSnapshot map = follower.current();
        List<MapEntity> changed = new ArrayList<>();
        for (Map.Entry<String, String> e : nodeJdbcUrls.entrySet()) {
            map.node(e.getKey()).filter(n -> !n.jdbcUrl().equals(e.getValue())).ifPresent(n -> changed.add(
                    new Node(n.nodeId(), n.shardId(), n.role(), n.region(), n.az(), e.getValue())));
        }
        for (DemoTopology.DemoShard shard : DemoTopology.SHARDS) {
            String url = nodeJdbcUrls.get(shard.standbyNodeId());
            if (url != null && map.node(shard.standbyNodeId()).isEmpty()) {
                changed.add(new Node(shard.standbyNodeId(), shard.shardId(), io.fleetshard.shardmap.NodeRole.STANDBY,
                        DemoTopology.STANDBY_REGION, DemoTopology.STANDBY_REGION + "a", url));
            }
        }
        if (!changed.isEmpty()) {
            long v = writer.commit(map.version(), changed, List.of());
            LOG.info("registered or updated {} node(s) (restarted replicas, warm standbys) in map version {}",
                    changed.size(), v);
        }
    }

    /** Tests: the demo node's PostgreSQL server is killed (SIGKILL), as in a crash of its host. */
    void killPostgres(String nodeId) {
        PostgresNode node = postgresNodes.get(nodeId);
        if (node == null) {
            throw new IllegalArgumentException("no PostgreSQL node " + nodeId + "; nodes: " + postgresNodes.keySet());
        }
        node.kill();
    }

    /** Tests: the demo node's MariaDB server is killed (SIGKILL), as in a crash of its host. */
    void killMariaDb(String nodeId) {
        MariaDbNode node = mariaDbNodes.get(nodeId);
        if (node == null) {
            throw new IllegalArgumentException("no MariaDB node " + nodeId + "; nodes: " + mariaDbNodes.keySet());
        }
        node.kill();
    }

    /**
     * Tests: a killed demo MariaDB node's server starts again on its data directory and port, with its server id and
     * GTID domain, replicating from nothing and taking writes: a crashed node back as it was, not rebuilt.
     */
    void restartMariaDb(String nodeId) {
        MariaDbNode old = mariaDbNodes.get(nodeId);
        if (old == null) {
            throw new IllegalArgumentException("no MariaDB node " + nodeId + "; nodes: " + mariaDbNodes.keySet());
        }
        old.stop();
        MariaDbNode node = registerServer(MariaDbNode.start(old.dataDir(), old.port(), old.serverId(),
                old.serverId() == 1 ? 0 : old.serverId()));
        mariaDbNodes.put(nodeId, node);
    }

    /**
     * The dev platform's node agent for failbacks and rejoins: rebuilds a failed demo node, wiping its data directory,
     * as a synchronous replica of the shard's primary on the port the map has for it. PostgreSQL: a base backup.
     * MariaDB (ADR 0032): a new semi-synchronous GTID replica under a server id (and GTID domain) no server of the
     * platform had, receiving everything from the primary's first binary log (dev never purges binary logs); a new id
     * because a replica skips the events of its own server id, which the primary's binary log holds from the node's
     * earlier life.
     */
    private synchronized String rebuildAsReplica(Node node, Node primary, Engine engine) {
        if (engine == Engine.MARIADB) {
            return rebuildMariaDb(node, primary);
        }
        if (engine != Engine.POSTGRES) {
            throw new IllegalStateException("the dev platform rebuilds PostgreSQL and MariaDB nodes only, not "
                    + node.nodeId());
        }
        PostgresNode source = postgresNodes.get(primary.nodeId());
        if (source == null) {
            throw new IllegalStateException("primary " + primary.nodeId() + " is not a server of this dev platform");
        }
        int port = URI.create(node.jdbcUrl().substring("jdbc:".length())).getPort();
        PostgresNode old = postgresNodes.remove(node.nodeId());
        if (old != null) {
            old.close();
        }
        Path dir = options.dataDir().resolve(node.nodeId());
        FileTrees.deleteRecursively(dir);
        PostgresNode replica = registerServer(source.startReplica(dir, node.nodeId().replace('-', '_'), true, port));
        postgresNodes.put(node.nodeId(), replica);
        return "the dev platform rebuilt " + node.nodeId() + " from " + primary.nodeId() + " as its synchronous"
                + " replica on port " + port;
    }

    private String rebuildMariaDb(Node node, Node primary) {
        MariaDbNode source = mariaDbNodes.get(primary.nodeId());
        if (source == null) {
            throw new IllegalStateException("primary " + primary.nodeId() + " is not a server of this dev platform");
        }
        int port = URI.create(node.jdbcUrl().substring("jdbc:".length())).getPort();
        // never one a server had, the node's old one included (found with ./fleetshard rejoin: a second rebuild of a
        // node took its previous id again and would have skipped what it wrote as primary under it)
        int serverId = Math.max(nextRebuiltMariaDbServerId, mariaDbNodes.values().stream()
                .mapToInt(MariaDbNode::serverId).max().orElse(0) + 1);
        nextRebuiltMariaDbServerId = serverId + 1;
        MariaDbNode old = mariaDbNodes.remove(node.nodeId());
        if (old != null) {
            old.stop();
        }
        Path dir = options.dataDir().resolve(node.nodeId());
        FileTrees.deleteRecursively(dir);
        // asynchronous until caught up: a primary with semi-sync on and no semi-sync replica connected holds every
        // commit until one acknowledges (or rpl_semi_sync_master_timeout), i.e. for the whole install and start
        MariaDbNode replica = registerServer(source.startReplica(dir, port, serverId, false));
        new DevMariaDbIds(serverId, serverId).write(options.dataDir(), node.nodeId()); // a restart keeps them
        mariaDbNodes.put(node.nodeId(), replica);
        // connected is not caught up: the schema and rows arrive by the SQL thread, after this returns otherwise
        String reached;
        try (Connection p = DriverManager.getConnection(source.jdbcUrl(""));
                Connection r = DriverManager.getConnection(replica.jdbcUrl(""));
                java.sql.Statement ps = p.createStatement();
                ResultSet pos = ps.executeQuery("SELECT @@gtid_binlog_pos")) {
            pos.next();
            reached = pos.getString(1);
            try (PreparedStatement wait = r.prepareStatement("SELECT MASTER_GTID_WAIT(?, ?)")) {
                wait.setString(1, reached);
                wait.setInt(2, (int) REBUILD_CATCH_UP_TIMEOUT.toSeconds());
                try (ResultSet rs = wait.executeQuery()) {
                    if (!rs.next() || rs.getInt(1) != 0) {
                        throw new IllegalStateException("rebuilt " + node.nodeId() + " did not apply "
                                + primary.nodeId() + "'s binary log up to " + reached + " within "
                                + REBUILD_CATCH_UP_TIMEOUT.toSeconds() + " s");
                    }
                }
            }
            semiSync(p, r, node);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot wait for rebuilt " + node.nodeId() + " to catch up with "
                    + primary.nodeId() + ": " + e.getMessage(), e);
        }
        return "the dev platform rebuilt " + node.nodeId() + " from " + primary.nodeId() + " (its binary logs from"
                + " the first, applied up to " + reached + ") as its semi-synchronous GTID replica, server id and GTID"
                + " domain " + serverId
                + (old == null ? "" : " (was " + old.serverId() + ")") + ", on port " + port;
    }

    /**
     * Makes a caught-up replica acknowledge semi-synchronously and its primary wait for it ({@code AFTER_SYNC}), as
     * the control API's switchover does: the replica asks for semi-sync when its I/O thread reconnects, which it
     * does right after the primary turns semi-sync on; returns once the primary counts it as a semi-sync client.
     */
    private static void semiSync(Connection primary, Connection replica, Node node) throws SQLException {
        try (java.sql.Statement r = replica.createStatement(); java.sql.Statement p = primary.createStatement()) {
            r.execute("SET GLOBAL rpl_semi_sync_slave_enabled = ON");
            r.execute("STOP SLAVE IO_THREAD");
            p.execute("SET GLOBAL rpl_semi_sync_master_wait_point = 'AFTER_SYNC'");
            p.execute("SET GLOBAL rpl_semi_sync_master_enabled = ON");
            r.execute("START SLAVE IO_THREAD");
            long deadline = System.nanoTime() + REBUILD_CATCH_UP_TIMEOUT.toNanos();
            while (true) {
                try (ResultSet rs = p.executeQuery("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")) {
                    if (rs.next() && rs.getLong(2) > 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("rebuilt " + node.nodeId() + " did not connect as a"
                            + " semi-synchronous replica within " + REBUILD_CATCH_UP_TIMEOUT.toSeconds() + " s");
                }
                r.execute("DO SLEEP(0.02)"); // the server waits: no sleeping thread here
            }
        }
    }

    /** The GTID domain of a MariaDB shard's warm standby (its server id): the primary writes in 0, the replica in 3. */
    static final int STANDBY_GTID_DOMAIN = 2;
    /** Rebuilt MariaDB nodes get server ids from 10 on, above those of the demo topology's servers; each a new one. */
    private int nextRebuiltMariaDbServerId = 10;
    /** How long a rebuilt MariaDB node may take to apply its primary's binary log. */
    private static final Duration REBUILD_CATCH_UP_TIMEOUT = Duration.ofSeconds(60);

    /** The superuser JDBC URL of a demo node (e.g. {@code pg-1-a}, or its replica {@code pg-1-b}). */
    public String adminJdbcUrl(String nodeId) {
        String url = adminJdbcUrls.get(nodeId);
        return url != null ? url : replicaAdminJdbcUrls.get(nodeId);
    }

    /** The superuser JDBC URL of a demo shard's warm standby. */
    /** Tests: the state of each shard's standby applier. */
    Map<String, io.fleetshard.standby.StandbyStatus> standbyAppliers() {
        return standby.status();
    }

    String standbyAdminJdbcUrl(String shardId) {
        return standbyAdminUrls.get(shardId);
    }

    /**
     * Tests: change capture stops and a new worker starts (a capture process restarted): every shard's engine starts
     * anew from its stored position, running MariaDB's lost-transaction check (ADR 0029) once more.
     */
    synchronized void restartCapture() {
        capture.close();
        capture = register(DevCapture.start(kafka.bootstrapServers(), follower));
    }

    /** Tests: capture's status of each shard it captures. */
    Map<String, io.fleetshard.cdc.ShardCaptureStatus> captureStatus() {
        return capture.status();
    }

    /**
     * A token for this platform's router and control API (ADR 0018), signed with the HS256 secret in its data
     * directory; {@code tenantId} only for the tenant roles.
     */
    public String token(Role role, String tenantId, Duration ttl) {
        return tokens.mint("dev:" + System.getProperty("user.name", "unknown"), role, tenantId, ttl);
    }

    /** An admin token valid for an hour (tests and tools of the dev platform). */
    public String adminToken() {
        return token(Role.ADMIN, null, Duration.ofHours(1));
    }

    /** The HS256 secret of this platform's tokens (tests: other processes serving the same platform). */
    String jwtSecret() {
        return jwtSecret;
    }

    public String controlUrl() {
        return "http://127.0.0.1:" + controlApi.port();
    }

    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    DevArchive archive() {
        return archive;
    }

    DevStandby standby() {
        return standby;
    }

    DevIceberg iceberg() {
        return iceberg;
    }

    public String routerUrl() {
        return "http://127.0.0.1:" + router.port();
    }

    /** The router's blocking listener for {@code POST /v1/query} and {@code /v1/query/batch} (ADR 0039). */
    public String routerQueryUrl() {
        return "http://127.0.0.1:" + router.queryPort();
    }

    void printEndpoints(PrintStream out) {
        long ms = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        String control = controlUrl();
        String route = routerUrl();
        out.printf("""

                FleetShard dev is up (%d ms). Data: %s
                  router        %s   (POST /v1/query, /v1/query/batch, /v1/query/scatter; /metrics, /openapi.json)
                                %s   (POST /v1/query, /v1/query/batch only: the faster listener, ADR 0039)
                  control API   %s   (/v1/tenants, /v1/shards, /v1/shardmap, /v1/audit; /metrics, /openapi.json)
                  console       %s/console   (web console: paste the admin token below)
                  Kafka         %s   (shard map topic fleetshard.shardmap)
                  S3            %s   (key %s)
                  DynamoDB      %s   (map mirror table %s)
                  shards        %s
                  change topics fleetshard.cdc.vehicles, fleetshard.cdc.telemetry (./fleetshard tail --table vehicles)
                  archive       s3://%s/standard/<shard>/ (./fleetshard archive ls --shard pg-1; archive verify --shard pg-1)
                  warm standbys %s (region %s, fed from S3; eventual reads with "region":"%s")
                  Iceberg       %s: tables %s.vehicles, %s.telemetry (+ _history), every %d s from the change topics;
                                JDBC catalog %s (./fleetshard sql "select status, count(*) from vehicles group by status")

                Every call but /healthz, /readyz, /metrics and /openapi.json needs a token (docs/adr/0018). Admin, 12 h:
                  export TOKEN=%s
                Others: ./fleetshard token --role operator (or tenant-writer, tenant-reader with --tenant acme)
                The operator commands (reshard, failover, ...) mint their own from this data directory.

                Try:
                  curl -s -H "Authorization: Bearer $TOKEN" %s/v1/tenants/acme/fleets/trucks
                  curl -s -X POST %s/v1/query -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
                    -d '{"tenantId":"acme","fleetId":"trucks","sql":"select vehicle_id, vin, status from vehicles where fleet_id = ?","params":["trucks"]}'
                  curl -s -X POST %s/v1/query/scatter -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
                    -d '{"tenantId":"acme","sql":"select fleet_id, count(*) as vehicles from vehicles group by fleet_id","orderBy":"fleet_id"}'

                Ctrl-C stops everything.
                """, ms, options.dataDir(), route, routerQueryUrl(), control, control, kafka.bootstrapServers(), s3.endpoint(), s3.accessKey(),
                dynamo.endpoint(), MIRROR_TABLE, String.join(", ", adminJdbcUrls.values()), DevArchive.BUCKET,
                String.join(", ", standbyAdminUrls.values()), DemoTopology.STANDBY_REGION, DemoTopology.STANDBY_REGION,
                DevIceberg.WAREHOUSE, DevIceberg.NAMESPACE, DevIceberg.NAMESPACE, DevIceberg.COMMIT_INTERVAL_MS / 1000,
                icebergCatalogUrl, token(Role.ADMIN, null, Duration.ofHours(12)), control, route, route);
        out.flush();
    }

    void awaitShutdown() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private <T extends AutoCloseable> T register(T closeable) {
        synchronized (this) {
            if (!closed) {
                toClose.push(closeable);
                return closeable;
            }
        }
        throw stoppedWhileStarting(closeable);
    }

    private <T extends AutoCloseable> T registerServer(T server) {
        synchronized (this) {
            if (!closed) {
                servers.add(server);
                return server;
            }
        }
        throw stoppedWhileStarting(server);
    }

    /** close() ran while start() was still starting things (Ctrl-C during start): what starts now stops at once. */
    private IllegalStateException stoppedWhileStarting(AutoCloseable started) {
        closeQuietly(started);
        return new IllegalStateException("fleetshard dev was stopped while it was starting");
    }

    /** True once {@link #close()} began (e.g. Ctrl-C during start). */
    synchronized boolean closing() {
        return closed;
    }

    /**
     * Stops everything in an order where nothing loses a server under its feet: first what takes work in (the router,
     * then the control API with its reshard jobs), then every other component, last-started first (Iceberg sink, standby
     * appliers, archiver, stream processors, capture, the map's mirror, writer and follower), then all servers together.
     * Failures are logged, never thrown: every part gets its chance to stop.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        long t0 = System.nanoTime();
        closeQuietly(router);
        closeQuietly(controlApi);
        AutoCloseable c;
        while ((c = pollNext()) != null) {
            closeQuietly(c);
        }
        List<AutoCloseable> toStop;
        synchronized (this) {
            toStop = new ArrayList<>(servers);
            servers.clear();
        }
        CompletableFuture.allOf(toStop.stream().map(server -> CompletableFuture.runAsync(() -> closeQuietly(server)))
                .toArray(CompletableFuture[]::new)).join();
        LOG.info("fleetshard dev stopped in {} ms", Duration.ofNanos(System.nanoTime() - t0).toMillis());
        stopped.countDown();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("error while stopping {}: {}", c, e.toString());
            LOG.debug("stack of the error while stopping {}", c, e);
        }
    }

    private synchronized AutoCloseable pollNext() {
        return toClose.poll();
    }
}
