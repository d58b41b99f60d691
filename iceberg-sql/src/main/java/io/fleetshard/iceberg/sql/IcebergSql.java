package io.fleetshard.iceberg.sql;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine behind {@code fleetshard sql}, run by the launcher in a JVM of its own (ADR 0019): one SQL statement over
 * the iceberg-sink's tables with Spark SQL, printed as an aligned table, tab-separated values or JSON lines.
 * S3 keys come from the environment ({@value #ACCESS_KEY_ENV}, {@value #SECRET_KEY_ENV}), never from the
 * command line, which other users of the machine can read.
 */
public final class IcebergSql {
    static final String ACCESS_KEY_ENV = "FLEETSHARD_S3_ACCESS_KEY";
    static final String SECRET_KEY_ENV = "FLEETSHARD_S3_SECRET_KEY";
    static final String USAGE = """
            usage: IcebergSql --catalog-uri JDBC_URL --warehouse s3://B/P [--catalog-name N] [--namespace N]
                              [--s3-endpoint URL] [--region R] [--format table|tsv|json] [--max-rows N] SQL""";

    private IcebergSql() {
    }

    public static void main(String[] args) {
        int exit;
        try {
            exit = run(List.of(args), System.getenv(), System.out, System.err);
        } catch (IllegalArgumentException e) {
            System.err.println("fleetshard sql: " + e.getMessage() + "\n" + USAGE);
            exit = 2;
        }
        System.exit(exit);
    }

    /** The parsed command line: where the tables are, how to print, and the statement. */
    record Invocation(SqlEngineConfig config, ResultFormat format, int maxRows, String sql) {
    }

    static Invocation parse(List<String> args, Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> sql = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> known = List.of("--catalog-uri", "--warehouse", "--catalog-name", "--namespace", "--s3-endpoint",
                "--region", "--format", "--max-rows");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (known.contains(a)) {
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
            problems.add("give one SQL statement, e.g. \"select count(*) from vehicles\"");
        }
        ResultFormat format = null;
        try {
            format = ResultFormat.parse(values.getOrDefault("--format", "table"));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        int maxRows = 0;
        try {
            maxRows = Integer.parseInt(values.getOrDefault("--max-rows", "1000"));
            if (maxRows < 1) {
                problems.add("--max-rows must be at least 1, got " + maxRows);
            }
        } catch (NumberFormatException e) {
            problems.add("--max-rows must be a number, got '" + values.get("--max-rows") + "'");
        }
        SqlEngineConfig config = null;
        try {
            config = new SqlEngineConfig(values.getOrDefault("--catalog-name", "fleetshard"),
                    values.get("--catalog-uri"), values.get("--warehouse"), values.getOrDefault("--namespace",
                    "fleetshard"), values.get("--s3-endpoint"), values.get("--region"), env.get(ACCESS_KEY_ENV),
                    env.get(SECRET_KEY_ENV));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new Invocation(config, format, maxRows, String.join(" ", sql));
    }

    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        Invocation inv = parse(args, env);
        long t0 = System.nanoTime();
        try (SparkSql spark = SparkSql.open(inv.config())) {
            long started = System.nanoTime();
            SparkSql.Result result;
            try {
                result = spark.query(inv.sql(), inv.maxRows());
            } catch (Exception e) { // Spark's AnalysisException (a checked one), ParseException, ...: the statement
                err.println("fleetshard sql: " + firstLine(e.getMessage()));
                return 1;
            }
            inv.format().print(result, out);
            out.flush();
            err.printf("(%d row%s%s; engine start %.1f s, query %.1f s)%n", result.rows().size(),
                    result.rows().size() == 1 ? "" : "s", result.truncated() ? ", more not shown: --max-rows" : "",
                    (started - t0) / 1e9, (System.nanoTime() - started) / 1e9);
            return 0;
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "failed";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
