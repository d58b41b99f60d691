package io.fleetshard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 API server in this JVM (S3Proxy), bound to 127.0.0.1, storing objects as plain files
 * under a given directory, with AWS Signature V4 (or V2) authentication and a fixed dev key.
 *
 * <p>Supports conditional writes ({@code If-None-Match: *}, {@code If-Match} → 412), multipart,
 * ranges, copies, ListObjectsV2; not Object Lock, not versioning (filesystem backend).
 */
public final class S3Server implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(S3Server.class);

    /** Fixed development credentials: the server accepts only these. */
    public static final String ACCESS_KEY = "fleetsharddev";
    public static final String SECRET_KEY = "fleetsharddevsecret";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_THREADS = 24;

    private final S3Proxy proxy;
    private final URI endpoint;
    private final Path dir;
    private boolean stopped;

    private S3Server(S3Proxy proxy, URI endpoint, Path dir) {
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.dir = dir;
    }

    /** Starts on a free port; buckets become directories under {@code dir} (created if missing). */
    public static S3Server start(Path dir) {
        return start(dir, FreePorts.next());
    }

    /** Starts on {@code port}; buckets become directories under {@code dir} (created if missing). */
    public static S3Server start(Path dir, int port) {
        Path baseDir = dir.toAbsolutePath();
        long startNs = System.nanoTime();
        try {
            Files.createDirectories(baseDir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create S3 data dir " + baseDir, e);
        }
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", baseDir.toString());
        URI endpoint = URI.create("http://" + LocalHost.LOOPBACK + ":" + port);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem", properties))
                .endpoint(endpoint)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .jettyMaxThreads(MAX_THREADS)
                .build();
        try {
            proxy.start();
            Await.until("S3Proxy on " + endpoint + " to reach STARTED", STARTUP_TIMEOUT,
                    () -> "STARTED".equals(proxy.getState()));
        } catch (Exception e) {
            stopQuietly(proxy);
            throw new IllegalStateException("S3Proxy did not start on " + endpoint + " with data in " + baseDir
                    + ": " + e.getMessage(), e);
        }
        LOG.info("S3 server {} ready in {} ms (data in {})", endpoint,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), baseDir);
        return new S3Server(proxy, endpoint, baseDir);
    }

    /** {@code http://127.0.0.1:port}; use path-style addressing. */
    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    /** The directory holding one subdirectory per bucket. */
    public Path dataDir() {
        return dir;
    }

    /**
     * A new client for this server: path-style, region us-east-1, the dev credentials and the
     * Apache HTTP client (with the URLConnection client a retried conditional PUT was seen to get
     * a spurious 412). The caller closes it.
     */
    public S3Client newClient() {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
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
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop S3Proxy on " + endpoint + ": " + e.getMessage(), e);
        }
        LOG.info("S3 server {} stopped", endpoint);
    }

    private static void stopQuietly(S3Proxy proxy) {
        try {
            proxy.stop();
        } catch (Exception e) {
            LOG.debug("stopping a half-started S3Proxy failed", e);
        }
    }
}
