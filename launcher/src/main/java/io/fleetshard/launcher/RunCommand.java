package io.fleetshard.launcher;

import io.fleetshard.archive.format.ArchiveEncryptionConfig;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archiver.Archiver;
import io.fleetshard.archiver.ArchiverConfig;
import io.fleetshard.cdc.CaptureConfig;
import io.fleetshard.cdc.CaptureWorker;
import io.fleetshard.config.KafkaClientSecurity;
import io.fleetshard.controlapi.ControlApi;
import io.fleetshard.controlapi.ControlApiConfig;
import io.fleetshard.iceberg.IcebergSink;
import io.fleetshard.iceberg.IcebergSinkConfig;
import io.fleetshard.router.Router;
import io.fleetshard.router.RouterConfig;
import io.fleetshard.shardmap.DynamoDbMapMirror;
import io.fleetshard.shardmap.MapUnavailableException;
import io.fleetshard.shardmap.MapMirrorSync;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.standby.StandbyApplier;
import io.fleetshard.standby.StandbyApplierConfig;
import io.fleetshard.streams.DeltaSyncConfig;
import io.fleetshard.streams.HotFleetConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * {@code fleetshard run <component>}: one component of the platform in this process, as the Helm chart's
 * Deployments start it ({@code infra/helm}). The component's own keys come from {@code --config} (its module README's
 * table), the keys the launcher wires around it from {@code --platform} ({@link ComponentSettings#PLATFORM_KEYS}).
 * Workers without an API serve {@code /healthz}, {@code /readyz} and {@code /metrics} on {@code admin.port}. Runs
 * until the process is stopped (SIGTERM closes the component cleanly).
 */
final class RunCommand {
    static final String USAGE = """
            usage: fleetshard run <component> --config FILE [--platform FILE] [--set key=value]... [--check]
              components: router, control-api, capture, archiver, standby-applier, stream-processors, iceberg-sink
              --config FILE      the component's own keys (the table in its module's README)
              --platform FILE    what the launcher wires around it: kafka.bootstrap.servers, shardmap.topic,
                                 admin.port (workers' /healthz, /readyz, /metrics; default 9090), archive.bucket,
                                 s3.region, s3.endpoint, standby.shard, standby.jdbc.url, state.dir,
                                 kafka.security.protocol, kafka.ssl.*, kafka.sasl.* (TLS to Kafka), ...
              --set key=value    a component key (wins over --config); secrets come from FLEETSHARD_<KEY>
                                 environment variables (db.password: FLEETSHARD_DB_PASSWORD)
              --check            validate the configuration, print the keys given (never values) and exit: 0 valid,
                                 2 not""";

    static final List<String> COMPONENTS = List.of("router", "control-api", "capture", "archiver", "standby-applier",
            "stream-processors", "iceberg-sink");
    /** Keys of {@code stream-processors} that are neither the delta sync's nor the hot-fleet detector's. */
    static final List<String> TARGET_LOGIN_KEYS = List.of("target.postgres.user", "target.postgres.password",
            "target.mysql.user", "target.mysql.password");
    private static final int DEFAULT_ADMIN_PORT = 9090;
    /** Platform key: how long a start keeps trying while Kafka does not answer, in ms (0: one attempt). */
    static final String START_WAIT_KEY = ComponentSettings.START_KAFKA_WAIT_KEY;
    static final long DEFAULT_START_WAIT_MS = 120_000;
    private static final long FIRST_START_PAUSE_MS = 500;
    private static final long MAX_START_PAUSE_MS = 5_000;
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    private RunCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--check")) {
            try {
                out.println(check(args.stream().filter(a -> !a.equals("--check")).toList(), System.getenv()));
                return 0;
            } catch (IllegalArgumentException e) {
                err.println("fleetshard run: " + e.getMessage());
                return 2;
            }
        }
        Running running;
        try {
            running = start(args, System.getenv());
        } catch (IllegalArgumentException e) {
            err.println("fleetshard run: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (StartFailedException e) {
            err.println("fleetshard run: " + e.getMessage());
            return 1;
        }
        int port = running.adminPort() > 0 ? running.adminPort() : running.apiPort();
        out.println("fleetshard run " + running.component() + ": up (/healthz, /readyz, /metrics on port " + port + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "fleetshard-run-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** What the command line names: the component and its settings. */
    private record Invocation(String component, ComponentSettings settings) {
    }

    private static Invocation parse(List<String> args, Map<String, String> env) {
        if (args.isEmpty() || args.get(0).startsWith("-")) {
            throw new IllegalArgumentException("name the component to run, one of " + COMPONENTS);
        }
        String component = args.get(0);
        if (!COMPONENTS.contains(component)) {
            throw new IllegalArgumentException("unknown component '" + component + "'; one of " + COMPONENTS);
        }
        Path config = null;
        Path platform = null;
        Map<String, String> sets = new LinkedHashMap<>();
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args.get(++i);
            switch (a) {
                case "--config" -> config = Path.of(v);
                case "--platform" -> platform = Path.of(v);
                case "--set" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--set takes key=value, got '" + v + "'");
                    }
                    sets.put(v.substring(0, eq).trim(), v.substring(eq + 1).trim());
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (config == null) {
            throw new IllegalArgumentException("--config FILE is required");
        }
        return new Invocation(component, ComponentSettings.load(config, platform, sets, env, secretKeys(component)));
    }

    /** What starting a component does, once its settings were validated by {@link #prepare}. */
    private interface Launch {
        void start(Running r);
    }

    /**
     * Validates a component's settings — its configuration as its config class parses it, the platform keys it
     * needs — without starting anything or touching the network, and returns how to start it. {@link #check} and
     * {@link #start} both go through here, so what passes the check is what a start accepts.
     */
    private static Launch prepare(String component, ComponentSettings s) {
        return switch (component) {
            case "router" -> router(s);
            case "control-api" -> controlApi(s);
            case "capture" -> capture(s);
            case "archiver" -> archiver(s);
            case "standby-applier" -> standbyApplier(s);
            case "stream-processors" -> streamProcessors(s);
            case "iceberg-sink" -> icebergSink(s);
            default -> throw new IllegalStateException(component);
        };
    }

    /**
     * Validates what {@code args} would start, without starting it or touching the network. Returns a line naming
     * the keys given (never their values: some are secrets).
     *
     * @throws IllegalArgumentException what is wrong
     */
    static String check(List<String> args, Map<String, String> env) {
        Invocation inv = parse(args, env);
        ComponentSettings s = inv.settings();
        try {
            prepare(inv.component(), s);
            s.adminPort(DEFAULT_ADMIN_PORT);
            s.startKafkaWaitMs(DEFAULT_START_WAIT_MS);
            return inv.component() + ": configuration valid; keys " + new java.util.TreeSet<>(s.component().keySet())
                    + ", platform keys " + new java.util.TreeSet<>(s.platform().keySet());
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(inv.component() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts the component {@code args} name; the caller closes it. A start that fails because Kafka does not answer
     * (not reachable yet, or too slow: the map topic's check, the component's own topics) is tried again, with a
     * pause that doubles up to 5 s, until {@value #START_WAIT_KEY} (platform key, default 120 s) has passed: a
     * component started beside a Kafka that is still starting, or one that is overloaded, waits for it instead of
     * exiting.
     *
     * @throws IllegalArgumentException the invocation or the configuration is wrong (nothing was contacted)
     * @throws StartFailedException it did not start (Kafka did not answer in time, or another failure)
     */
    static Running start(List<String> args, Map<String, String> env) {
        Invocation inv = parse(args, env);
        String component = inv.component();
        long waitMs = inv.settings().startKafkaWaitMs(DEFAULT_START_WAIT_MS);
        Launch launch;
        try {
            launch = prepare(component, inv.settings());
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(component + " did not start: " + e.getMessage(), e);
        }
        return whileKafkaDoesNotAnswer(component, waitMs, () -> {
            Running r = new Running(component);
            try {
                launch.start(r);
                return r;
            } catch (RuntimeException e) {
                r.close();
                throw e;
            }
        });
    }

    /**
     * Runs {@code attempt} until it returns; while it fails because Kafka does not answer ({@link #kafkaDidNotAnswer})
     * it is run again after a pause that doubles from 0.5 s up to 5 s, until {@code waitMs} has passed.
     *
     * @param what what starts, for messages ("control-api")
     * @throws IllegalArgumentException what {@code attempt} threw as such (a wrong configuration: no retry)
     * @throws StartFailedException any other failure, or Kafka still silent after {@code waitMs}
     */
    static <T> T whileKafkaDoesNotAnswer(String what, long waitMs, Supplier<T> attempt) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        long pauseMs = FIRST_START_PAUSE_MS;
        for (int n = 1; ; n++) {
            try {
                return attempt.get();
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (RuntimeException e) {
                long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (!kafkaDidNotAnswer(e)) {
                    throw new StartFailedException(what + " did not start: " + e.getMessage(), e);
                }
                if (leftMs <= 0) {
                    throw new StartFailedException(what + " did not start: Kafka did not answer within "
                            + START_WAIT_KEY + "=" + waitMs + " ms (" + n + " attempt" + (n == 1 ? "" : "s") + "): "
                            + e.getMessage(), e);
                }
                long sleepMs = Math.min(pauseMs, leftMs);
                LOG.warn("{} could not start, Kafka did not answer (attempt {}): {}; trying again in {} ms ({} ms"
                        + " left of {})", what, n, e.getMessage(), sleepMs, leftMs, START_WAIT_KEY);
                try {
                    Thread.sleep(sleepMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new StartFailedException(what + " did not start: interrupted while waiting for Kafka", ie);
                }
                pauseMs = Math.min(pauseMs * 2, MAX_START_PAUSE_MS);
            }
        }
    }

    /** A component that could not start although its invocation was valid; the process exits 1. */
    static final class StartFailedException extends RuntimeException {
        StartFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** True when {@code e} or a cause says Kafka did not answer: the map log's or a Kafka client's timeout. */
    static boolean kafkaDidNotAnswer(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof MapUnavailableException || t instanceof org.apache.kafka.common.errors.TimeoutException
                    || t instanceof org.apache.kafka.common.errors.DisconnectException) {
                return true;
            }
        }
        return false;
    }

    /** Secret keys of each component, read from {@code FLEETSHARD_<KEY>} even when the config file lacks them. */
    static List<String> secretKeys(String component) {
        return switch (component) {
            case "router" -> List.of(RouterConfig.TENANT_SECRET, RouterConfig.DB_PASSWORD, RouterConfig.AUTH_JWT_SECRET,
                    RouterConfig.TLS_KEYSTORE_PASSWORD);
            case "control-api" -> List.of(ControlApiConfig.PROBE_PASSWORD, ControlApiConfig.RESHARD_PG_PASSWORD,
                    ControlApiConfig.RESHARD_MYSQL_PASSWORD, ControlApiConfig.AUTH_JWT_SECRET,
                    ControlApiConfig.TLS_KEYSTORE_PASSWORD);
            case "capture", "standby-applier" -> List.of("db.password");
            case "archiver" -> List.of("s3.secret.key");
            case "stream-processors" -> List.of("target.postgres.password", "target.mysql.password");
            default -> List.of();
        };
    }

    // ------------------------------------------------------------------------------------------------ components

    private static Launch router(ComponentSettings s) {
        String bootstrap = s.requirePlatform("kafka.bootstrap.servers", "router");
        KafkaClientSecurity kafka = s.kafkaSecurity();
        RouterConfig config = RouterConfig.from(s.component());
        MirrorTarget mirror = MirrorTarget.of(s);
        return r -> {
            ShardMapFollower map = follow(s, "router", bootstrap, kafka, r, mirror == null ? null : mirror.open(r));
            Router router = r.add(new Router(config, map).start());
            r.apiPort = router.port();
        };
    }

    private static Launch controlApi(ComponentSettings s) {
        String bootstrap = s.requirePlatform("kafka.bootstrap.servers", "control-api");
        KafkaClientSecurity kafka = s.kafkaSecurity();
        ControlApiConfig config = ControlApiConfig.from(s.component());
        String bucket = s.platform("archive.bucket", "");
        MirrorTarget mirrorTarget = MirrorTarget.of(s);
        return r -> {
            DynamoDbMapMirror mirror = mirrorTarget == null ? null : mirrorTarget.open(r);
            ShardMapFollower map = follow(s, "control-api", bootstrap, kafka, r, mirror);
            if (mirror != null) { // the map's writer keeps the mirror: every transaction its follower applies
                r.add(MapMirrorSync.attach(map, mirror));
            }
            ShardMapWriter writer = r.add(ShardMapWriter.open(mapLog(s, bootstrap, kafka), map));
            ControlApi api = new ControlApi(config, map, writer, Clock.systemUTC()).start();
            r.add(api::stop);
            r.apiPort = api.port();
            api.kafkaClientSecurity(kafka.clientProperties());
            api.enableResharding(bootstrap, "fleetshard.shardlog.");
            api.enableFailover(bootstrap);
            api.resetCaptureWith(CaptureReset.of(bootstrap, kafka));
            api.enableAudit(bootstrap);
            if (!bucket.isEmpty()) {
                api.attachArchive(r.add(archiveStore(s, bucket)));
            }
        };
    }

    private static Launch capture(ComponentSettings s) {
        CaptureConfig config = CaptureConfig.fromMap(s.componentWithKafkaSecurity());
        return r -> {
            ShardMapFollower map = follow(s, "capture", config.bootstrapServers(), config.kafkaSecurity(), r);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            r.add(new CaptureWorker(config, map, registry)).start();
            r.admin(s, registry, () -> null);
        };
    }

    private static Launch archiver(ComponentSettings s) {
        ArchiverConfig config = ArchiverConfig.fromMap(withoutEncryptionKeys(s.componentWithKafkaSecurity()));
        ArchiveEncryptionConfig encryption = ArchiveEncryptionConfig.fromMap(s.component());
        return r -> {
            S3ArchiveStore store = r.add(S3ArchiveStore.connect(endpoint(config.s3Endpoint()), config.s3Region(),
                    config.s3AccessKey(), config.s3SecretKey(), config.bucket()));
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            r.add(new Archiver(config, store, encryption.open(), registry, Clock.systemUTC())).start();
            r.admin(s, registry, () -> null);
        };
    }

    private static Launch standbyApplier(ComponentSettings s) {
        StandbyApplierConfig config = StandbyApplierConfig.fromMap(withoutEncryptionKeys(s.component()));
        ArchiveEncryptionConfig encryption = ArchiveEncryptionConfig.fromMap(s.component());
        String shard = s.requirePlatform("standby.shard", "standby-applier");
        String url = s.requirePlatform("standby.jdbc.url", "standby-applier");
        String bucket = s.requirePlatform("archive.bucket", "standby-applier");
        return r -> {
            S3ArchiveStore store = r.add(archiveStore(s, bucket));
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            r.add(new StandbyApplier(config, store, encryption.open(),
                    new ShardArchivePath(s.platform("archive.tier", "standard"), shard), url, registry, Clock.systemUTC())).start();
            r.admin(s, registry, () -> null);
        };
    }

    /** A component's keys without {@code archive.encryption.*}, which {@link ArchiveEncryptionConfig} reads (ADR 0025). */
    private static Map<String, String> withoutEncryptionKeys(Map<String, String> component) {
        Map<String, String> rest = new java.util.LinkedHashMap<>(component);
        rest.keySet().removeIf(k -> k.startsWith(ArchiveEncryptionConfig.PREFIX));
        return rest;
    }

    /** The Iceberg sink (issue 11); ready while no table is stopped by a defective change. */
    private static Launch icebergSink(ComponentSettings s) {
        IcebergSinkConfig config = IcebergSinkConfig.fromMap(s.componentWithKafkaSecurity());
        return r -> {
            IcebergSink sink = r.add(IcebergSink.open(config));
            sink.start();
            r.admin(s, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> sink.status().values().stream()
                    .filter(t -> "stopped".equals(t.state())).map(t -> t.table() + ": " + t.error()).findFirst()
                    .orElse(null));
        };
    }

    private static Launch streamProcessors(ComponentSettings s) {
        StreamProcessorsConfig c = streamProcessorsConfig(s);
        return r -> {
            ShardMapFollower map = follow(s, "stream-processors", c.deltaSync().bootstrapServers(),
                    c.deltaSync().kafkaSecurity(), r);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            r.add(StreamProcessors.start(c.deltaSync(), c.hotFleets(), c.logins(), map, registry));
            r.admin(s, registry, () -> null);
        };
    }

    /**
     * The delta sync and the hot-fleet detector in one process: {@code hotfleets.*} keys are the detector's,
     * {@code target.*} the database users the delta sync writes targets as, the rest the delta sync's;
     * {@code kafka.bootstrap.servers} and {@code state.dir} (a directory for each under it) are both's.
     */
    /** The three parts of the {@code stream-processors} keys. */
    private record StreamProcessorsConfig(DeltaSyncConfig deltaSync, HotFleetConfig hotFleets,
            StreamProcessors.TargetLogins logins) {
    }

    private static StreamProcessorsConfig streamProcessorsConfig(ComponentSettings s) {
        Map<String, String> delta = new LinkedHashMap<>();
        Map<String, String> hot = new LinkedHashMap<>();
        s.componentWithKafkaSecurity().forEach((k, v) -> {
            if (KafkaClientSecurity.isKey(k)) { // both apps' clients (ADR 0027)
                delta.put(k, v);
                hot.put(k, v);
            } else if (k.startsWith("hotfleets.")) {
                hot.put(k, v);
            } else if (!TARGET_LOGIN_KEYS.contains(k)) {
                delta.put(k, v);
            }
        });
        String bootstrap = s.component().get("kafka.bootstrap.servers");
        if (bootstrap != null) {
            hot.put("kafka.bootstrap.servers", bootstrap);
        }
        String stateDir = delta.remove("state.dir");
        if (stateDir != null) {
            delta.put("state.dir", Path.of(stateDir, "delta-sync").toString());
            hot.put("state.dir", Path.of(stateDir, "hot-fleets").toString());
        }
        Map<String, String> c = s.component();
        return new StreamProcessorsConfig(DeltaSyncConfig.fromMap(delta), HotFleetConfig.fromMap(hot),
                new StreamProcessors.TargetLogins(c.getOrDefault("target.postgres.user", ""),
                        c.getOrDefault("target.postgres.password", ""), c.getOrDefault("target.mysql.user", ""),
                        c.getOrDefault("target.mysql.password", "")));
    }

    // ------------------------------------------------------------------------------------------------ wiring

    private static ShardMapLogConfig mapLog(ComponentSettings s, String bootstrap, KafkaClientSecurity kafka) {
        ShardMapLogConfig d = ShardMapLogConfig.defaults(bootstrap);
        return new ShardMapLogConfig(bootstrap, s.platform("shardmap.topic", d.topic()), d.transactionalId(),
                d.requestTimeout(), kafka.clientProperties());
    }

    /** Follows the map log; a worker needs Kafka for all it does, so it never starts from the map's mirror. */
    private static ShardMapFollower follow(ComponentSettings s, String component, String bootstrap,
            KafkaClientSecurity kafka, Running r) {
        return follow(s, component, bootstrap, kafka, r, null);
    }

    /** Follows the map log; without a snapshot file of its own yet, from {@code mirror}'s map first (when not null). */
    private static ShardMapFollower follow(ComponentSettings s, String component, String bootstrap,
            KafkaClientSecurity kafka, Running r, DynamoDbMapMirror mirror) {
        return r.add(ShardMapFollower.start(mapLog(s, bootstrap, kafka),
                stateDir(s, component).resolve("shardmap-snapshot.json"), mirror));
    }

    /**
     * The map's DynamoDB mirror named by {@code shardmap.mirror.table} (the router starts from it, the control API
     * keeps it; the workers' IAM roles do not read it): the client is in the region {@code aws.region}, at
     * {@code dynamodb.endpoint} when set (DynamoDB Local, a VPC endpoint), with the key pair
     * {@code dynamodb.access.key}/{@code dynamodb.secret.key} when set, else the default credentials chain (IRSA).
     */
    private record MirrorTarget(String table, String region, String endpoint, String accessKey, String secretKey) {
        /** The platform's mirror, checked without contacting it; null when {@code shardmap.mirror.table} is unset. */
        static MirrorTarget of(ComponentSettings s) {
            String table = s.platform("shardmap.mirror.table", "");
            if (table.isEmpty()) {
                return null;
            }
            String accessKey = s.platform("dynamodb.access.key", "");
            String secretKey = s.platform("dynamodb.secret.key", "");
            if (!accessKey.isEmpty() && secretKey.isEmpty()) {
                throw new IllegalArgumentException("dynamodb.access.key is set but dynamodb.secret.key is not (the"
                        + " platform file or " + ComponentSettings.envName("dynamodb.secret.key") + ")");
            }
            return new MirrorTarget(table, s.platform("aws.region", "us-east-1"), s.platform("dynamodb.endpoint", ""),
                    accessKey, secretKey);
        }

        DynamoDbMapMirror open(Running r) {
            DynamoDbClientBuilder b = DynamoDbClient.builder().httpClientBuilder(ApacheHttpClient.builder())
                    .region(Region.of(region));
            if (!endpoint.isEmpty()) {
                b.endpointOverride(URI.create(endpoint));
            }
            if (!accessKey.isEmpty()) {
                b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey,
                        secretKey)));
            }
            return new DynamoDbMapMirror(r.add(b.build()), table);
        }

        @Override
        public String toString() { // never the secret
            return "MirrorTarget[" + table + " in " + region + (endpoint.isEmpty() ? "" : " at " + endpoint) + "]";
        }
    }

    private static Path stateDir(ComponentSettings s, String component) {
        Path dir = Path.of(s.platform("state.dir", System.getProperty("java.io.tmpdir") + "/fleetshard-" + component));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create state.dir " + dir, e);
        }
        return dir;
    }

    private static S3ArchiveStore archiveStore(ComponentSettings s, String bucket) {
        return S3ArchiveStore.connect(endpoint(s.platform("s3.endpoint", "")),
                s.platform("s3.region", s.platform("aws.region", "us-east-1")), s.platform("s3.access.key", null),
                s.platform("s3.secret.key", null), bucket);
    }

    private static URI endpoint(String endpoint) {
        return endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint);
    }

    /** A started component and what it holds, closed in reverse order. */
    static final class Running implements AutoCloseable {
        private final String component;
        private final Deque<AutoCloseable> resources = new ArrayDeque<>();
        private WorkerAdminServer admin;
        private int apiPort = -1;

        private Running(String component) {
            this.component = component;
        }

        String component() {
            return component;
        }

        /** The port of {@code /healthz}, {@code /readyz} and {@code /metrics} of a worker; -1 for an API component. */
        int adminPort() {
            return admin == null ? -1 : admin.port();
        }

        /** The port of the router's or control API's own HTTP server (its probes too); -1 for a worker. */
        int apiPort() {
            return apiPort;
        }

        <T extends AutoCloseable> T add(T resource) {
            resources.push(resource);
            return resource;
        }

        private void admin(ComponentSettings s, PrometheusMeterRegistry registry, Supplier<String> readiness) {
            admin = add(WorkerAdminServer.start(s.platform("admin.host", "0.0.0.0"), s.adminPort(DEFAULT_ADMIN_PORT),
                    registry, readiness));
        }

        @Override
        public synchronized void close() {
            List<Exception> failures = new ArrayList<>();
            while (!resources.isEmpty()) {
                try {
                    resources.pop().close();
                } catch (Exception e) {
                    failures.add(e);
                }
            }
            failures.forEach(e -> System.err.println("fleetshard run " + component + ": while stopping: " + e));
        }
    }
}
