package io.fleetshard.iceberg.sql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the tables are: the iceberg-sink's JDBC catalog, warehouse and S3 endpoint. Checked at construction, every
 * problem reported at once. The catalog name must be the sink's {@code catalog.name}: the JDBC catalog keys its rows
 * by it.
 *
 * @param catalogName the sink's catalog name (default {@code fleetshard}); also the Spark catalog's name
 * @param catalogUri JDBC URL of the catalog database
 * @param warehouse the sink's warehouse, {@code s3://bucket/path}
 * @param namespace the namespace unqualified table names resolve in
 * @param s3Endpoint an S3-compatible endpoint, or empty for AWS S3
 * @param region the S3 client's region
 * @param accessKey S3 access key, or empty for the AWS default credential chain
 * @param secretKey S3 secret key, or empty
 */
record SqlEngineConfig(String catalogName, String catalogUri, String warehouse, String namespace, String s3Endpoint,
        String region, String accessKey, String secretKey) {
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    SqlEngineConfig {
        List<String> problems = new ArrayList<>();
        if (catalogName == null || !NAME.matcher(catalogName).matches()) {
            problems.add("catalog name must be lower-case letters, digits and _, got '" + catalogName + "'");
        }
        if (catalogUri == null || !catalogUri.startsWith("jdbc:")) {
            problems.add("catalog URI must be a JDBC URL (jdbc:...), got '" + catalogUri + "'");
        }
        if (warehouse == null || !warehouse.matches("s3a?://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?")) {
            problems.add("warehouse must be an s3://bucket[/path] location, got '" + warehouse + "'");
        }
        if (namespace == null || !NAME.matcher(namespace).matches()) {
            problems.add("namespace must be lower-case letters, digits and _, got '" + namespace + "'");
        }
        s3Endpoint = s3Endpoint == null ? "" : s3Endpoint;
        region = region == null || region.isBlank() ? "us-east-1" : region;
        accessKey = accessKey == null ? "" : accessKey;
        secretKey = secretKey == null ? "" : secretKey;
        if (accessKey.isEmpty() != secretKey.isEmpty()) {
            problems.add("give both the S3 access key and the secret key, or neither (AWS default chain)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** The Spark settings of a local session with one Iceberg catalog, the sink's, as the default catalog. */
    Map<String, String> sparkSettings() {
        String c = "spark.sql.catalog." + catalogName;
        Map<String, String> s = new LinkedHashMap<>();
        s.put("spark.ui.enabled", "false");
        s.put("spark.metrics.conf.*.sink.servlet.class", NoMetricsServlet.class.getName());
        s.put("spark.driver.host", "127.0.0.1");
        s.put("spark.driver.bindAddress", "127.0.0.1");
        s.put("spark.sql.session.timeZone", "UTC");
        s.put("spark.sql.shuffle.partitions", "4");
        s.put("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions");
        s.put(c, "org.apache.iceberg.spark.SparkCatalog");
        s.put(c + ".catalog-impl", "org.apache.iceberg.jdbc.JdbcCatalog");
        s.put(c + ".uri", catalogUri);
        s.put(c + ".jdbc.schema-version", "V1");
        s.put(c + ".warehouse", warehouse);
        s.put(c + ".default-namespace", namespace);
        s.put(c + ".io-impl", "org.apache.iceberg.aws.s3.S3FileIO");
        s.put(c + ".http-client.type", "apache");
        s.put(c + ".client.region", region);
        if (!s3Endpoint.isEmpty()) {
            s.put(c + ".s3.endpoint", s3Endpoint);
            s.put(c + ".s3.path-style-access", "true");
        }
        if (!accessKey.isEmpty()) {
            s.put(c + ".s3.access-key-id", accessKey);
            s.put(c + ".s3.secret-access-key", secretKey);
        }
        s.put("spark.sql.defaultCatalog", catalogName);
        return s;
    }

    @Override
    public String toString() {
        return "SqlEngineConfig[catalog=" + catalogName + "@" + catalogUri.replaceAll("(?i)(password=)[^&;]*", "$1******")
                + ", warehouse=" + warehouse + ", namespace=" + namespace + ", s3=" + (s3Endpoint.isEmpty() ? "aws"
                : s3Endpoint) + ", region=" + region + ", keys=" + (accessKey.isEmpty() ? "default chain" : "given") + "]";
    }
}
