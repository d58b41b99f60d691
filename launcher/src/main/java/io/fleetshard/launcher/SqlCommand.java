package io.fleetshard.launcher;

import io.fleetshard.testkit.S3Server;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code fleetshard sql "SELECT ..."}: one SQL statement over the iceberg-sink's tables with Spark SQL and the Iceberg
 * runtime (ADR 0019). Spark runs in a child JVM from the {@code iceberg-sql} module's classpath file, never on the
 * platform's classpath. It reads the JDBC catalog and S3 directly, as any analytics engine does: no token, the
 * catalog's and bucket's credentials are the access control.
 */
final class SqlCommand {
    static final String USAGE = """
            usage: fleetshard sql [options] "SELECT ..."
              runs one statement with Spark SQL over the Iceberg tables (vehicles, telemetry, *_history);
              unqualified names resolve in the namespace; the first run builds the engine (downloads Spark)
              --format F            table | tsv | json (default table)
              --max-rows N          print at most N rows (default 1000)
              --namespace N         default fleetshard
              --data-dir DIR        the running dev platform's catalog and S3 (default .fleetshard/dev)
            another deployment's tables (S3 keys from FLEETSHARD_S3_ACCESS_KEY/_SECRET_KEY, else the AWS chain):
              --catalog-uri JDBC_URL --warehouse s3://BUCKET/PATH [--s3-endpoint URL] [--region R]""";
    /** Spark on Java 17 needs these (Spark's own launcher adds them); iceberg-sql's POM gives its tests the same. */
    static final List<String> SPARK_JVM_OPTIONS = List.of("-XX:+IgnoreUnrecognizedVMOptions",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED", "-Djdk.reflect.useDirectMethodHandle=false",
            "-Dio.netty.tryReflectionSetAccessible=true");
    static final String ENGINE_MAIN = "io.fleetshard.iceberg.sql.IcebergSql";
    private static final List<String> OPTIONS = List.of("--format", "--max-rows", "--namespace", "--data-dir",
            "--catalog-uri", "--warehouse", "--s3-endpoint", "--region");

    private SqlCommand() {
    }

    /** The engine's process: its command line and the environment it adds (the S3 keys). */
    record EngineProcess(List<String> command, Map<String, String> environment) {
        EngineProcess {
            command = List.copyOf(command);
            environment = Map.copyOf(environment);
        }
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            out.println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        Path root = Path.of(System.getProperty("fleetshard.root", ".")).toAbsolutePath().normalize();
        EngineProcess engine = engineProcess(args, root, System.getenv());
        ProcessBuilder pb = new ProcessBuilder(engine.command()).inheritIO();
        pb.environment().putAll(engine.environment());
        pb.environment().putIfAbsent("SPARK_LOCAL_IP", "127.0.0.1"); // a local session: no address lookup, no warning
        try {
            Process p = pb.start();
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                p.destroy();
                Thread.currentThread().interrupt();
                return 130;
            }
        } catch (IOException e) {
            err.println("fleetshard sql: cannot start the engine's JVM: " + e.getMessage());
            return 1;
        }
    }

    /**
     * The engine's command line for {@code args}: the dev platform's catalog and S3 (from {@code DIR/ports.properties})
     * unless {@code --catalog-uri} names another deployment's. Every problem is reported at once.
     */
    static EngineProcess engineProcess(List<String> args, Path root, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> sql = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (OPTIONS.contains(a)) {
                if (i + 1 >= args.size()) {
                    problems.add(a + " needs a value");
                } else {
                    values.put(a, args.get(++i));
                }
            } else if (a.startsWith("--")) {
                problems.add("unknown option " + a);
            } else {
                sql.add(a);
            }
        }
        if (sql.isEmpty()) {
            problems.add("give the SQL statement, e.g. \"select status, count(*) from vehicles group by status\"");
        }
        Map<String, String> environment = new LinkedHashMap<>();
        List<String> engineArgs = new ArrayList<>();
        if (values.containsKey("--catalog-uri")) {
            engineArgs.addAll(List.of("--catalog-uri", values.get("--catalog-uri")));
            if (!values.containsKey("--warehouse")) {
                problems.add("--warehouse is required with --catalog-uri");
            }
            for (String o : List.of("--warehouse", "--s3-endpoint", "--region")) {
                Optional.ofNullable(values.get(o)).ifPresent(v -> engineArgs.addAll(List.of(o, v)));
            }
            for (String key : List.of("FLEETSHARD_S3_ACCESS_KEY", "FLEETSHARD_S3_SECRET_KEY")) {
                Optional.ofNullable(env.get(key)).ifPresent(v -> environment.put(key, v));
            }
        } else {
            Path dataDir = Path.of(values.getOrDefault("--data-dir", ".fleetshard/dev"));
            Optional<DevIceberg.Endpoints> dev = DevIceberg.recorded(dataDir);
            if (dev.isEmpty()) {
                problems.add("no --catalog-uri given and no dev platform with Iceberg tables in "
                        + dataDir.toAbsolutePath() + " (start ./fleetshard dev, or name the catalog and warehouse)");
            } else {
                engineArgs.addAll(List.of("--catalog-uri", dev.get().catalogJdbcUrl(), "--warehouse",
                        DevIceberg.WAREHOUSE, "--s3-endpoint", dev.get().s3Endpoint().toString()));
                environment.put("FLEETSHARD_S3_ACCESS_KEY", S3Server.ACCESS_KEY);
                environment.put("FLEETSHARD_S3_SECRET_KEY", S3Server.SECRET_KEY);
            }
        }
        for (String o : List.of("--namespace", "--format", "--max-rows")) {
            Optional.ofNullable(values.get(o)).ifPresent(v -> engineArgs.addAll(List.of(o, v)));
        }
        Path classpathFile = root.resolve("iceberg-sql/target/classpath.txt");
        Path classes = root.resolve("iceberg-sql/target/classes");
        String classpath = null;
        if (!Files.isRegularFile(classpathFile) || !Files.isDirectory(classes)) {
            problems.add("the SQL engine is not built: " + classpathFile + " is missing (./fleetshard sql builds it;"
                    + " or ./mvnw -pl iceberg-sql -am package -Dmaven.test.skip=true)");
        } else {
            try {
                classpath = classes + java.io.File.pathSeparator + Files.readString(classpathFile).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + classpathFile, e);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + "\n" + USAGE);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        command.addAll(SPARK_JVM_OPTIONS);
        command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        command.addAll(List.of("-cp", classpath, ENGINE_MAIN));
        command.addAll(engineArgs);
        command.add(String.join(" ", sql));
        return new EngineProcess(command, environment);
    }
}
