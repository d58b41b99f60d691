package io.fleetshard.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleetshard.iceberg.IcebergSink;
import io.fleetshard.iceberg.IcebergSinkConfig;
import io.fleetshard.iceberg.IcebergSinkException;
import io.fleetshard.iceberg.IcebergSinkOffload;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.catalog.Catalog;

/**
 * {@code fleetshard offload --table telemetry --older-than 90d}: deletes cold rows from the shards once the
 * Iceberg table's snapshot holds them, verified per fleet and day (ADR 0023; logic in iceberg-sink's
 * {@link IcebergSinkOffload}). Exit 0 when every bucket verified, 1 when a bucket was skipped, 2 for usage errors.
 */
final class OffloadCommand {
    static final String USAGE = """
            usage: fleetshard offload --table T --older-than AGE [--dry-run] [--batch-size N] [--rate ROWS_PER_S]
              deletes from the shards rows older than AGE that the Iceberg table already holds, verified per fleet
              and day by count and checksum; a bucket that does not verify is reported and kept (exit 1)
              --older-than AGE  90d, 36h, 30m (before now), or an ISO-8601 instant (2026-09-01T00:00:00Z)
              --dry-run         verify and report what would be deleted; delete nothing
              --batch-size N    rows per delete transaction (default 1000)
              --rate N          at most N rows deleted per second (default 0 = unthrottled)
              --output json     no progress lines; the report as one JSON object
              --namespace N     default fleetshard
              --data-dir DIR    the running dev platform's shards, catalog and S3 (default .fleetshard/dev)
            another deployment (S3 keys from FLEETSHARD_S3_ACCESS_KEY/_SECRET_KEY, else the AWS chain):
              --shard ID=JDBC_URL (repeat; a PostgreSQL or MariaDB primary, as a user that bypasses the tenant
                                   isolation: PostgreSQL's row-level security, MariaDB's tenant views)
              --catalog-uri JDBC_URL --warehouse s3://BUCKET/PATH [--s3-endpoint URL] [--region R]""";
    static final List<String> OPTIONS = List.of("--table", "--older-than", "--batch-size", "--rate", "--output",
            "--namespace", "--data-dir", "--shard", "--catalog-uri", "--warehouse", "--s3-endpoint", "--region");
    private static final Pattern AGE = Pattern.compile("(\\d+)([dhm])");

    private OffloadCommand() {
    }

    /** The parsed command line: what to offload, from which shards, with which catalog settings. */
    record Plan(IcebergSinkOffload.Request request, List<IcebergSinkOffload.Shard> shards, List<String> skippedShards,
            IcebergSinkConfig catalog, String namespace, boolean json) {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        Plan plan = plan(args, Clock.systemUTC(), System.getenv());
        PrintStream progress = plan.json() ? null : out;
        if (progress != null) {
            plan.skippedShards().forEach(s -> progress.println("shard " + s + ": not offloaded (PostgreSQL and MariaDB"
                    + " shards only)"));
        }
        Catalog catalog = IcebergSink.catalogOf(plan.catalog());
        try {
            IcebergSinkOffload.Report report = new IcebergSinkOffload(catalog, plan.namespace(), plan.shards(),
                    line -> {
                        if (progress != null) {
                            progress.println(line);
                        }
                    }, Clock.systemUTC()).run(plan.request());
            if (plan.json()) {
                out.println(json(report).toPrettyString());
            } else {
                out.printf("%s%s: %d buckets, %d of %d candidate rows verified, %d deleted in %.1f s (%.0f rows/s), "
                        + "%d buckets NOT offloaded, checked against snapshot %d%n", report.table(),
                        report.dryRun() ? " (dry run)" : "", report.buckets().size(), report.verifiedRows(),
                        report.candidateRows(), report.deletedRows(), report.seconds(), report.rowsPerSecond(),
                        report.failedBuckets(), report.snapshotId());
            }
            return report.ok() ? 0 : 1;
        } catch (IcebergSinkException | org.apache.iceberg.exceptions.NoSuchTableException e) {
            err.println("fleetshard offload: " + e.getMessage());
            return 1;
        } finally {
            if (catalog instanceof Closeable c) {
                try {
                    c.close();
                } catch (IOException e) {
                    err.println("fleetshard offload: closing the catalog: " + e.getMessage());
                }
            }
        }
    }

    /** {@code --output json}: the report, every bucket with its counts, checksums and verdict. */
    static ObjectNode json(IcebergSinkOffload.Report r) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode().put("table", r.table()).put("olderThan", r.olderThan().toString())
                .put("dryRun", r.dryRun()).put("snapshotId", r.snapshotId()).put("candidateRows", r.candidateRows())
                .put("verifiedRows", r.verifiedRows()).put("deletedRows", r.deletedRows())
                .put("failedBuckets", r.failedBuckets()).put("seconds", r.seconds())
                .put("rowsPerSecond", Math.round(r.rowsPerSecond())).put("ok", r.ok());
        ArrayNode buckets = o.putArray("buckets");
        for (IcebergSinkOffload.Bucket b : r.buckets()) {
            ObjectNode j = buckets.addObject().put("shard", b.shard()).put("tenant", b.tenant()).put("fleet", b.fleet())
                    .put("day", b.day().toString()).put("verdict", b.verdict()).put("shardRows", b.shardRows())
                    .put("shardChecksum", b.shardChecksum()).put("icebergRows", b.icebergRows())
                    .put("icebergChecksum", b.icebergChecksum()).put("deleted", b.deleted()).put("kept", b.kept());
            if (b.reason() != null) {
                j.put("reason", b.reason());
            }
        }
        return o;
    }

    /** Parses {@code args}; every problem is reported at once. */
    static Plan plan(List<String> args, Clock clock, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> shardArgs = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        boolean dryRun = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--dry-run")) {
                dryRun = true;
            } else if (OPTIONS.contains(a)) {
                if (i + 1 >= args.size()) {
                    problems.add(a + " needs a value");
                } else if (a.equals("--shard")) {
                    shardArgs.add(args.get(++i));
                } else {
                    values.put(a, args.get(++i));
                }
            } else {
                problems.add("unknown argument " + a);
            }
        }
        String table = values.get("--table");
        if (table == null) {
            problems.add("--table is required (e.g. --table telemetry)");
        }
        Instant olderThan = null;
        if (!values.containsKey("--older-than")) {
            problems.add("--older-than is required (e.g. --older-than 90d)");
        } else {
            try {
                olderThan = cutoff(values.get("--older-than"), clock);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        int batchSize = intOption(values, "--batch-size", 1000, problems);
        int rate = intOption(values, "--rate", 0, problems);
        String output = values.getOrDefault("--output", "text");
        if (!output.equals("text") && !output.equals("json")) {
            problems.add("--output must be text or json, got '" + output + "'");
        }
        String namespace = values.getOrDefault("--namespace", DevIceberg.NAMESPACE);
        List<IcebergSinkOffload.Shard> shards = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        IcebergSinkConfig catalog = null;
        if (values.containsKey("--catalog-uri")) {
            if (!values.containsKey("--warehouse")) {
                problems.add("--warehouse is required with --catalog-uri");
            } else {
                IcebergSinkConfig.Builder b = IcebergSinkConfig.builder("unused:9092", values.get("--warehouse"))
                        .set(IcebergSinkConfig.Key.CATALOG_URI, values.get("--catalog-uri"))
                        .set(IcebergSinkConfig.Key.NAMESPACE, namespace);
                Optional.ofNullable(values.get("--s3-endpoint")).ifPresent(e -> b.catalogProperty("s3.endpoint", e)
                        .catalogProperty("s3.path-style-access", "true"));
                Optional.ofNullable(values.get("--region")).ifPresent(r -> b.catalogProperty("client.region", r));
                Optional.ofNullable(env.get("FLEETSHARD_S3_ACCESS_KEY")).ifPresent(k -> b.catalogProperty("s3.access-key-id", k));
                Optional.ofNullable(env.get("FLEETSHARD_S3_SECRET_KEY")).ifPresent(k -> b.catalogProperty("s3.secret-access-key", k));
                catalog = b.build();
            }
            if (shardArgs.isEmpty()) {
                problems.add("--shard ID=JDBC_URL is required with --catalog-uri (one per shard primary)");
            }
        } else {
            Path dataDir = Path.of(values.getOrDefault("--data-dir", ".fleetshard/dev"));
            Optional<DevIceberg.Endpoints> dev = DevIceberg.recorded(dataDir);
            if (dev.isEmpty()) {
                problems.add("no --catalog-uri given and no dev platform with Iceberg tables in "
                        + dataDir.toAbsolutePath() + " (start ./fleetshard dev, or name the catalog, warehouse and shards)");
            } else {
                catalog = DevIceberg.config("unused:9092", dev.get().catalogJdbcUrl(), dev.get().s3Endpoint());
                if (shardArgs.isEmpty()) {
                    for (DemoTopology.DemoShard s : DemoTopology.SHARDS) {
                        Optional<String> port = DevPorts.recorded(dataDir, s.primaryNodeId());
                        // the dev servers' superusers: the base tables, not the tenant-isolated views
                        String url = switch (s.engine()) {
                            case POSTGRES -> "jdbc:postgresql://127.0.0.1:%s/" + DemoTopology.DATABASE + "?user=postgres";
                            case MARIADB -> "jdbc:mariadb://127.0.0.1:%s/" + DemoTopology.DATABASE + "?user=root";
                            case MYSQL -> null;
                        };
                        if (url == null) {
                            port.ifPresent(p -> skipped.add(s.shardId()));
                        } else {
                            port.ifPresent(p -> shardArgs.add(s.shardId() + "=" + url.formatted(p)));
                        }
                    }
                }
            }
        }
        for (String s : shardArgs) {
            int eq = s.indexOf('=');
            if (eq < 1) {
                problems.add("--shard must be ID=JDBC_URL, got '" + s + "'");
                continue;
            }
            try {
                shards.add(new IcebergSinkOffload.Shard(s.substring(0, eq), s.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        IcebergSinkOffload.Request request = null;
        if (problems.isEmpty()) {
            try {
                request = new IcebergSinkOffload.Request(table, olderThan, dryRun, batchSize, rate);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + "\n" + USAGE);
        }
        return new Plan(request, shards, skipped, catalog, namespace, output.equals("json"));
    }

    /** {@code 90d}, {@code 36h}, {@code 30m} before now, or an ISO-8601 instant. */
    static Instant cutoff(String text, Clock clock) {
        Matcher m = AGE.matcher(text);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofMinutes(n);
            };
            return clock.instant().minus(d);
        }
        try {
            return Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("--older-than must be an age such as 90d, 36h or 30m, or an ISO-8601"
                    + " instant such as 2026-09-01T00:00:00Z, got '" + text + "'");
        }
    }

    private static int intOption(Map<String, String> values, String option, int dflt, List<String> problems) {
        String v = values.get(option);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(option + " must be a whole number >= 0, got '" + v + "'");
            return dflt;
        }
    }
}
