package io.fleetshard.launcher;

import io.fleetshard.iceberg.IcebergSink;
import io.fleetshard.iceberg.IcebergSinkConfig;
import io.fleetshard.iceberg.TableSinkStatus;
import io.fleetshard.testkit.S3Server;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * The analytics lane of {@code fleetshard dev}: the Iceberg sink maintaining {@code fleetshard.vehicles} and
 * {@code fleetshard.telemetry} (and their histories) from the change topics, in the embedded S3, with Iceberg's JDBC
 * catalog in a PostgreSQL server of its own ({@code iceberg-catalog}, database {@value #CATALOG_DATABASE}).
 */
final class DevIceberg implements AutoCloseable {
    static final String BUCKET = "fleetshard-lake";
    static final String WAREHOUSE = "s3://" + BUCKET + "/warehouse";
    static final String NAMESPACE = "fleetshard";
    /** The PostgreSQL node (and its ports.properties name) holding the JDBC catalog. */
    static final String CATALOG_NODE = "iceberg-catalog";
    static final String CATALOG_DATABASE = "iceberg";
    /** Freshness of the dev tables: a demo write is queryable within about this long. */
    static final long COMMIT_INTERVAL_MS = 5_000;

    private final IcebergSink sink;
    private final IcebergSinkConfig config;

    private DevIceberg(IcebergSink sink, IcebergSinkConfig config) {
        this.sink = sink;
        this.config = config;
    }

    /**
     * The sink's settings for a dev platform: also what {@code fleetshard sql} and tests use to open the same catalog.
     */
    /** Where a dev platform's catalog and S3 server listen, as its data directory recorded them. */
    record Endpoints(String catalogJdbcUrl, URI s3Endpoint) {
    }

    /**
     * The catalog and S3 endpoints of the dev platform whose data is in {@code dataDir} (its recorded ports); empty
     * when no dev platform with Iceberg tables ran there.
     */
    static Optional<Endpoints> recorded(Path dataDir) {
        Optional<String> catalogPort = DevPorts.recorded(dataDir, CATALOG_NODE);
        Optional<String> s3Port = DevPorts.recorded(dataDir, "s3");
        if (catalogPort.isEmpty() || s3Port.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Endpoints("jdbc:postgresql://127.0.0.1:" + catalogPort.get() + "/"
                + CATALOG_DATABASE + "?user=postgres", URI.create("http://127.0.0.1:" + s3Port.get())));
    }

    static IcebergSinkConfig config(String bootstrapServers, String catalogJdbcUrl, URI s3Endpoint) {
        return IcebergSinkConfig.builder(bootstrapServers, WAREHOUSE)
                .set(IcebergSinkConfig.Key.CATALOG_URI, catalogJdbcUrl)
                .set(IcebergSinkConfig.Key.NAMESPACE, NAMESPACE)
                .set(IcebergSinkConfig.Key.GROUP_ID, "dev-iceberg-sink")
                .set(IcebergSinkConfig.Key.COMMIT_INTERVAL_MS, COMMIT_INTERVAL_MS)
                .set(IcebergSinkConfig.Key.HISTORY_ENABLED, "true")
                .catalogProperty("s3.endpoint", s3Endpoint.toString())
                .catalogProperty("s3.path-style-access", "true")
                .catalogProperty("s3.access-key-id", S3Server.ACCESS_KEY)
                .catalogProperty("s3.secret-access-key", S3Server.SECRET_KEY)
                .catalogProperty("client.region", "us-east-1")
                .build();
    }

    static DevIceberg start(String bootstrapServers, String catalogJdbcUrl, S3Server s3) {
        try (S3Client client = s3.newClient()) {
            client.createBucket(b -> b.bucket(BUCKET));
        } catch (BucketAlreadyOwnedByYouException e) {
            // a restart on the same data: the tables are there already
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() != 409) {
                throw e;
            }
        }
        IcebergSinkConfig config = config(bootstrapServers, catalogJdbcUrl, s3.endpoint());
        IcebergSink sink = IcebergSink.open(config);
        sink.start();
        return new DevIceberg(sink, config);
    }

    IcebergSinkConfig config() {
        return config;
    }

    Map<String, TableSinkStatus> status() {
        return sink.status();
    }

    @Override
    public void close() {
        sink.close();
    }

    @Override
    public String toString() {
        return "iceberg sink (" + WAREHOUSE + ")";
    }
}
