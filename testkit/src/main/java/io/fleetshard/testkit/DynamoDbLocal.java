package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBServerHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * DynamoDB Local as an HTTP server in this JVM, bound to 127.0.0.1: in memory, or in SQLite
 * files under a given directory so that data survives restarts. One shared database serves every
 * access key and region ({@code -sharedDb}); telemetry is off.
 *
 * <p>The HTTP server is a Jetty of our own (DynamoDB Local's would bind every interface). Its
 * threads run in a thread group of this instance, and so do the non-daemon job threads DynamoDB
 * Local starts from them (its stream shard-rollover job sleeps for minutes and ignores a plain
 * executor shutdown): {@link #close()} interrupts what is left in the group, so no thread keeps
 * the JVM alive.
 */
public final class DynamoDbLocal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DynamoDbLocal.class);

    /**
     * What {@link #newClient()} uses. DynamoDB Local accepts any key made of letters and digits
     * only (a hyphen gets "The Access Key ID or security token is invalid").
     */
    public static final String ACCESS_KEY = "fleetsharddev";
    public static final String SECRET_KEY = "fleetsharddevsecret";

    private static final int MAX_THREADS = 16;

    private static final Duration THREADS_END_TIMEOUT = Duration.ofSeconds(10);

    private final Server server;
    private final ThreadGroup threadGroup;
    private final LocalDynamoDBRequestHandler requestHandler;
    private final URI endpoint;
    private final Optional<Path> dir;
    private boolean stopped;

    private DynamoDbLocal(Server server, ThreadGroup threadGroup, LocalDynamoDBRequestHandler requestHandler,
            URI endpoint, Optional<Path> dir) {
        this.server = server;
        this.threadGroup = threadGroup;
        this.requestHandler = requestHandler;
        this.endpoint = endpoint;
        this.dir = dir;
    }

    /** Starts an in-memory instance on a free port. */
    public static DynamoDbLocal start() {
        return launch(Optional.empty(), FreePorts.next());
    }

    /** Starts on a free port with its SQLite file in {@code dir} (created if missing): data survives restarts. */
    public static DynamoDbLocal start(Path dir) {
        return start(dir, FreePorts.next());
    }

    /** Like {@link #start(Path)} on a given port. */
    public static DynamoDbLocal start(Path dir, int port) {
        return launch(Optional.of(dir.toAbsolutePath()), port);
    }

    private static DynamoDbLocal launch(Optional<Path> dir, int port) {
        LocalHost.ensureJavaTmpDir(); // its SQLite native library unpacks there
        long startNs = System.nanoTime();
        if (dir.isPresent()) {
            try {
                Files.createDirectories(dir.get());
            } catch (IOException e) {
                throw new UncheckedIOException("could not create DynamoDB Local dir " + dir.get(), e);
            }
        }
        URI endpoint = URI.create("http://" + LocalHost.LOOPBACK + ":" + port);
        LocalDynamoDBRequestHandler requestHandler;
        try {
            requestHandler = new LocalDynamoDBRequestHandler(0, dir.isEmpty(), dir.map(Path::toString).orElse(null),
                    true, false);
        } catch (Exception e) {
            throw new IllegalStateException("could not open DynamoDB Local storage "
                    + dir.map(Path::toString).orElse("(in memory)") + ": " + e.getMessage(), e);
        }

        ThreadGroup threadGroup = new ThreadGroup("dynamodb-local-" + port);
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2, 60_000, -1, null, threadGroup);
        threads.setName("dynamodb-local-" + port);
        threads.setDaemon(true);
        Server server = new Server(threads);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost(LocalHost.LOOPBACK);
        connector.setPort(port);
        server.addConnector(connector);
        ContextHandler context = new ContextHandler("/");
        context.setHandler(new LocalDynamoDBServerHandler(requestHandler, null));
        server.setHandler(context);
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly(server);
            requestHandler.shutdown();
            interruptLeftovers(threadGroup);
            throw new IllegalStateException("DynamoDB Local did not start on " + endpoint + ": " + e.getMessage(), e);
        }
        LOG.info("DynamoDB Local {} ready in {} ms ({})", endpoint,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs),
                dir.map(d -> "data in " + d).orElse("in memory"));
        return new DynamoDbLocal(server, threadGroup, requestHandler, endpoint, dir);
    }

    /** {@code http://127.0.0.1:port}. */
    public URI endpoint() {
        return endpoint;
    }

    /** The SQLite directory, or empty when in memory. */
    public Optional<Path> dataDir() {
        return dir;
    }

    /** A new client for this server: region us-east-1, dev credentials, Apache HTTP client. The caller closes it. */
    public DynamoDbClient newClient() {
        return DynamoDbClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(ApacheHttpClient.builder())
                .build();
    }

    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop DynamoDB Local on " + endpoint + ": " + e.getMessage(), e);
        } finally {
            requestHandler.shutdown();
            interruptLeftovers(threadGroup);
        }
        LOG.info("DynamoDB Local {} stopped", endpoint);
    }

    /** Interrupts the job threads left in the group (they end on interrupt) and waits for them. */
    private static void interruptLeftovers(ThreadGroup group) {
        Thread[] threads = new Thread[group.activeCount() + 8];
        int count = group.enumerate(threads, true);
        for (int i = 0; i < count; i++) {
            threads[i].interrupt();
        }
        try {
            Await.until("DynamoDB Local threads in group " + group.getName() + " to end", THREADS_END_TIMEOUT,
                    () -> group.activeCount() == 0);
        } catch (IllegalStateException e) {
            LOG.warn("DynamoDB Local threads still alive after close: {}", e.getMessage());
        }
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debug("stopping a half-started DynamoDB Local failed", e);
        }
    }
}
