package io.fleetshard.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single Kafka broker in this JVM: KRaft, combined broker and controller, bound to 127.0.0.1,
 * with its log in a given directory. Sized for a 2-core box and tuned so that consumer groups,
 * transactions and Streams exactly-once work with one broker.
 *
 * <p>{@link #stop()} and {@link #restart()} keep the data and the port; a directory that is
 * already formatted is never formatted again, so a new JVM can reopen it.
 *
 * <p>{@link #startSsl} starts a separate broker whose client listeners are TLS only (ADR 0027's tests): one with TLS
 * alone, one with SASL/PLAIN over TLS ({@link #saslClientSecurity}) and one that requires a client certificate
 * (mutual TLS, {@link #mtlsClientKeys}); the shared broker ({@link SharedKafka}) stays plaintext.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final long SESSION_TIMEOUT_MS = 60_000;
    private static final long SESSION_TIMEOUT_AFTER_CRASH_MS = 10_000;

    private final Path logDir;
    private final int port;
    private final int controllerPort;
    /** The broker's key store for an SSL listener, or null for plaintext. */
    private final SelfSignedKeyStore tls;
    /** The SASL_SSL listener's port (with {@link #tls} only), and the password of its one PLAIN user. */
    private final int saslPort;
    private final String saslPassword = "sasl-" + java.util.UUID.randomUUID();
    /** The mutual-TLS listener's port (with {@link #tls} only), the client key store it trusts, and its trust store. */
    private final int mtlsPort;
    private final SelfSignedKeyStore mtlsClientKeys;
    private final Path mtlsTrustStore;
    private KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafka(Path logDir, int port, int controllerPort, SelfSignedKeyStore tls) {
        this.logDir = logDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.tls = tls;
        this.saslPort = tls == null ? 0 : FreePorts.next();
        this.mtlsPort = tls == null ? 0 : FreePorts.next();
        this.mtlsClientKeys = tls == null ? null : SelfSignedKeyStore.create(logDir.resolveSibling("mtls-client"));
        this.mtlsTrustStore = tls == null ? null : mtlsClientKeys.writeTrustStore(
                logDir.resolveSibling("mtls-broker-trust.p12"), tls.password());
    }

    /** Starts a broker on a free port with its data in {@code dataDir} (created if missing). */
    public static EmbeddedKafka start(Path dataDir) {
        return start(dataDir, FreePorts.next());
    }

    /** Starts a broker on {@code port} with its data in {@code dataDir} (created if missing). */
    public static EmbeddedKafka start(Path dataDir, int port) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir.toAbsolutePath().resolve("kraft-logs"), port, FreePorts.next(),
                null);
        kafka.startServer();
        return kafka;
    }

    /**
     * Starts a broker on a free port whose client (and inter-broker) listener is TLS only, with {@code serverKeys}'
     * certificate (for {@code localhost} and {@code 127.0.0.1}); the controller listener stays plaintext on
     * 127.0.0.1. Clients need {@link #clientSecurity()} (or a trust store of their own) to connect.
     */
    public static EmbeddedKafka startSsl(Path dataDir, SelfSignedKeyStore serverKeys) {
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir.toAbsolutePath().resolve("kraft-logs"), FreePorts.next(),
                FreePorts.next(), serverKeys);
        kafka.startServer();
        return kafka;
    }

    /**
     * The client properties that reach this broker: empty for plaintext; for TLS, {@code security.protocol=SSL} and
     * a trust store holding the broker's certificate (host name checked).
     */
    public Map<String, String> clientSecurity() {
        if (tls == null) {
            return Map.of();
        }
        return Map.of("security.protocol", "SSL", "ssl.truststore.location", tls.path().toString(),
                "ssl.truststore.password", tls.password(), "ssl.truststore.type", "PKCS12",
                "ssl.endpoint.identification.algorithm", "https");
    }

    /** The user name of the SASL_SSL listener's PLAIN login (a TLS broker only). */
    public static final String SASL_USER = "fleetshard";

    /**
     * A TLS broker's second client listener: SASL_SSL with the PLAIN mechanism, one user ({@link #SASL_USER}); its
     * {@code bootstrap.servers}.
     */
    public String saslBootstrapServers() {
        if (tls == null) {
            throw new IllegalStateException("only a broker started by startSsl has a SASL_SSL listener");
        }
        return LocalHost.LOOPBACK + ":" + saslPort;
    }

    /**
     * The client properties of the SASL_SSL listener: {@code security.protocol=SASL_SSL}, the trust store, mechanism
     * {@code PLAIN} and a JAAS login with {@code password} (the right one is {@link #saslPassword()}).
     */
    public Map<String, String> saslClientSecurity(String password) {
        Map<String, String> p = new HashMap<>(clientSecurity());
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "PLAIN");
        p.put("sasl.jaas.config", plainLogin(SASL_USER, password));
        return Map.copyOf(p);
    }

    /** The password of {@link #SASL_USER} on the SASL_SSL listener. */
    public String saslPassword() {
        return saslPassword;
    }

    /**
     * A TLS broker's third client listener: TLS that requires a client certificate signed as
     * {@link #mtlsClientKeys()}; its {@code bootstrap.servers}.
     */
    public String mtlsBootstrapServers() {
        if (tls == null) {
            throw new IllegalStateException("only a broker started by startSsl has a mutual-TLS listener");
        }
        return LocalHost.LOOPBACK + ":" + mtlsPort;
    }

    /** The client key store (certificate and key) the mutual-TLS listener accepts. */
    public SelfSignedKeyStore mtlsClientKeys() {
        return mtlsClientKeys;
    }

    /** A JAAS configuration line of Kafka's PLAIN login module for a client. */
    public static String plainLogin(String user, String password) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** {@code 127.0.0.1:port}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return LocalHost.LOOPBACK + ":" + port;
    }

    public int port() {
        return port;
    }

    /** The directory holding the broker's log and metadata. */
    public Path logDir() {
        return logDir;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Shuts the broker down and waits for it; data stays. Does nothing when already stopped. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        long startNs = System.nanoTime();
        KafkaRaftServer running = server;
        server = null;
        running.shutdown();
        running.awaitShutdown();
        LOG.info("Kafka broker {} stopped in {} ms", bootstrapServers(), elapsedMs(startNs));
    }

    /** Stops the broker if it runs, then starts it again on the same port and directory. */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("Kafka broker " + bootstrapServers() + " is closed; start a new one");
        }
        stop();
        startServer();
    }

    /** Stops the broker for good; the data directory stays. */
    @Override
    public synchronized void close() {
        stop();
        closed = true;
    }

    private synchronized void startServer() {
        long startNs = System.nanoTime();
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create Kafka log dir " + logDir, e);
        }
        boolean formatted = formatIfNew();
        // Kafka writes this marker when it stops cleanly and deletes it when it starts
        boolean afterCrash = !formatted && !Files.exists(logDir.resolve(".kafka_cleanshutdown"));
        if (afterCrash) {
            LOG.warn("Kafka log dir {} was not shut down cleanly (a killed process?); the dead broker's registration"
                    + " holds node {} for up to {} ms before this one may register", logDir, NODE_ID,
                    SESSION_TIMEOUT_AFTER_CRASH_MS);
        }
        KafkaRaftServer candidate = new KafkaRaftServer(new KafkaConfig(brokerConfig(afterCrash), false),
                Time.SYSTEM);
        try {
            candidate.startup();
            awaitReady();
        } catch (RuntimeException e) {
            candidate.shutdown();
            candidate.awaitShutdown();
            throw new IllegalStateException("Kafka broker on " + bootstrapServers() + " with log dir " + logDir
                    + " did not start: " + e.getMessage(), e);
        }
        server = candidate;
        LOG.info("Kafka broker {} ready in {} ms ({} log dir {})", bootstrapServers(), elapsedMs(startNs),
                formatted ? "formatted new" : "reopened", logDir);
    }

    private boolean formatIfNew() {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return false;
        }
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION);
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("could not format Kafka log dir " + logDir + ": " + e.getMessage(), e);
        }
        return true;
    }

    /**
     * @param afterCrash the log dir's last broker died without a clean shutdown: the controller keeps that broker's
     *     registration (same node id, another incarnation) until its session times out, and refuses this one's until
     *     then, so this run uses a short session timeout
     */
    private Map<String, Object> brokerConfig(boolean afterCrash) {
        Map<String, Object> config = new HashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", NODE_ID);
        config.put("controller.quorum.voters", NODE_ID + "@" + LocalHost.LOOPBACK + ":" + controllerPort);
        config.put("controller.listener.names", CONTROLLER_LISTENER);
        String listener = tls == null ? "PLAINTEXT" : "SSL";
        String sasl = tls == null ? "" : ",SASL_SSL://" + LocalHost.LOOPBACK + ":" + saslPort
                + ",MTLS://" + LocalHost.LOOPBACK + ":" + mtlsPort;
        config.put("listeners", listener + "://" + LocalHost.LOOPBACK + ":" + port + sasl
                + "," + CONTROLLER_LISTENER + "://" + LocalHost.LOOPBACK + ":" + controllerPort);
        config.put("advertised.listeners", listener + "://" + LocalHost.LOOPBACK + ":" + port + sasl);
        config.put("listener.security.protocol.map", listener + ":" + listener + "," + CONTROLLER_LISTENER
                + ":PLAINTEXT" + (tls == null ? "" : ",SASL_SSL:SASL_SSL,MTLS:SSL"));
        if (tls != null) { // one PLAIN user on the SASL_SSL listener; brokers talk to each other over SSL
            config.put("sasl.enabled.mechanisms", "PLAIN");
            config.put("listener.name.sasl_ssl.plain.sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + SASL_USER + "=\""
                            + saslPassword + "\";");
            // the MTLS listener requires a client certificate, and trusts the test kit's client key store only
            config.put("listener.name.mtls.ssl.client.auth", "required");
            config.put("listener.name.mtls.ssl.truststore.location", mtlsTrustStore.toString());
            config.put("listener.name.mtls.ssl.truststore.password", tls.password());
            config.put("listener.name.mtls.ssl.truststore.type", "PKCS12");
        }
        config.put("inter.broker.listener.name", listener);
        if (tls != null) { // the broker presents the key store, and trusts it for its own inter-broker connections
            config.put("ssl.keystore.location", tls.path().toString());
            config.put("ssl.keystore.password", tls.password());
            config.put("ssl.key.password", tls.password());
            config.put("ssl.keystore.type", "PKCS12");
            config.put("ssl.truststore.location", tls.path().toString());
            config.put("ssl.truststore.password", tls.password());
            config.put("ssl.truststore.type", "PKCS12");
            config.put("ssl.client.auth", "none");
        }
        config.put("log.dirs", logDir.toString());

        // One broker: every internal topic has one replica, or transactions and group commits hang.
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("default.replication.factor", "1");
        config.put("min.insync.replicas", "1");
        config.put("num.partitions", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        // One node is both controller and broker: its controller fencing its only broker for missed heartbeats (9 s by
        // default) takes every partition offline at once, which a starved box (load 20+ on two cores) did in a test
        // After a crash the same timeout is how long the restarted broker waits to register (see brokerConfig's
        // afterCrash): 10 s then, at the cost of that run's tolerance of a starved box.
        long sessionTimeoutMs = afterCrash ? SESSION_TIMEOUT_AFTER_CRASH_MS : SESSION_TIMEOUT_MS;
        config.put("broker.session.timeout.ms", Long.toString(sessionTimeoutMs));
        // a registration refused for the dead incarnation's session must outlast it (the default, 60 s, did not)
        config.put("initial.broker.registration.timeout.ms", Long.toString(sessionTimeoutMs + 60_000));

        // Small box: the 128 MiB default dedupe buffer can exhaust a small heap, and a fatal broker fault ends the JVM.
        config.put("log.cleaner.dedupe.buffer.size", "2097152");
        config.put("log.cleaner.threads", "1");
        config.put("num.network.threads", "2");
        config.put("num.io.threads", "2");
        config.put("background.threads", "2");
        config.put("num.recovery.threads.per.data.dir", "1");
        config.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        // ADR 0060: no time-based deletion unless a topic asks for it. Records carry their source commit time, and
        // tests write fixed dates: once a date was older than the 7-day default, its record's segment rolled at the
        // next append and the retention check deleted it before any consumer read it
        config.put("log.retention.ms", "-1");
        return config;
    }

    private void awaitReady() {
        Map<String, Object> adminConfig = new HashMap<>(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
        adminConfig.putAll(clientSecurity());
        try (Admin admin = Admin.create(adminConfig)) {
            Await.until("Kafka broker on " + bootstrapServers() + " to report itself in describeCluster",
                    READY_TIMEOUT, () -> {
                        Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                        return nodes.isEmpty() ? Optional.empty() : Optional.of(nodes);
                    });
        }
    }

    private static long elapsedMs(long startNs) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }
}
