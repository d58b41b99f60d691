package io.fleetshard.iceberg.sql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A local Spark session (2 threads, no UI, bound to 127.0.0.1) whose default catalog is the iceberg-sink's, so
 * {@code select * from vehicles} reads {@code <catalog>.<namespace>.vehicles} with Iceberg's Spark runtime, applying
 * its equality deletes. One session per process: Spark keeps one active session per JVM.
 */
final class SparkSql implements AutoCloseable {
    private final SparkSession spark;

    private SparkSql(SparkSession spark) {
        this.spark = spark;
    }

    static SparkSql open(SqlEngineConfig config) {
        SparkSession.Builder b = SparkSession.builder().master("local[2]").appName("fleetshard-sql");
        config.sparkSettings().forEach(b::config);
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        return new SparkSql(spark);
    }

    /** The result of one statement: column names and at most {@code maxRows} rows, values as Spark returns them. */
    record Result(List<String> columns, List<List<Object>> rows, boolean truncated) {
        Result {
            columns = List.copyOf(columns);
            rows = List.copyOf(rows);
        }
    }

    /** Runs one SQL statement; a query's rows are collected, at most {@code maxRows} of them. */
    Result query(String sql, int maxRows) {
        Dataset<Row> df = spark.sql(sql);
        List<String> columns = Arrays.asList(df.columns());
        List<Row> collected = df.limit(maxRows + 1).collectAsList();
        List<List<Object>> rows = new ArrayList<>();
        for (Row r : collected.subList(0, Math.min(maxRows, collected.size()))) {
            List<Object> values = new ArrayList<>(r.length());
            for (int i = 0; i < r.length(); i++) {
                values.add(r.get(i));
            }
            rows.add(java.util.Collections.unmodifiableList(values));
        }
        return new Result(columns, rows, collected.size() > maxRows);
    }

    @Override
    public void close() {
        spark.stop();
    }
}
