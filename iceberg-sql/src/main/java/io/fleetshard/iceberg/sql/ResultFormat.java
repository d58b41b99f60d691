package io.fleetshard.iceberg.sql;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** How {@code fleetshard sql} prints a result. */
enum ResultFormat {
    /** Columns aligned under a header, for people. */
    TABLE,
    /** A header line, then one tab-separated line per row; {@code \N} for null, as PostgreSQL's COPY writes it. */
    TSV,
    /** One JSON object per row. */
    JSON;

    static ResultFormat parse(String name) {
        for (ResultFormat f : values()) {
            if (f.name().equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("--format must be table, tsv or json, got '" + name + "'");
    }

    void print(SparkSql.Result result, PrintStream out) {
        switch (this) {
            case TABLE -> printTable(result, out);
            case TSV -> {
                out.println(String.join("\t", result.columns()));
                for (List<Object> row : result.rows()) {
                    List<String> cells = new ArrayList<>();
                    row.forEach(v -> cells.add(v == null ? "\\N" : text(v).replace("\t", " ").replace("\n", " ")));
                    out.println(String.join("\t", cells));
                }
            }
            case JSON -> {
                for (List<Object> row : result.rows()) {
                    StringBuilder b = new StringBuilder("{");
                    for (int i = 0; i < row.size(); i++) {
                        b.append(i == 0 ? "" : ",").append(quote(result.columns().get(i))).append(':');
                        Object v = row.get(i);
                        b.append(v == null ? "null" : v instanceof Number || v instanceof Boolean ? v.toString()
                                : quote(text(v)));
                    }
                    out.println(b.append('}'));
                }
            }
        }
    }

    private static void printTable(SparkSql.Result result, PrintStream out) {
        int n = result.columns().size();
        int[] width = new int[n];
        for (int i = 0; i < n; i++) {
            width[i] = result.columns().get(i).length();
        }
        for (List<Object> row : result.rows()) {
            for (int i = 0; i < n; i++) {
                width[i] = Math.max(width[i], cell(row.get(i)).length());
            }
        }
        StringBuilder header = new StringBuilder();
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < n; i++) {
            header.append(i == 0 ? "" : " | ").append(pad(result.columns().get(i), width[i]));
            rule.append(i == 0 ? "" : "-+-").append("-".repeat(width[i]));
        }
        out.println(header.toString().stripTrailing());
        out.println(rule);
        for (List<Object> row : result.rows()) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < n; i++) {
                line.append(i == 0 ? "" : " | ").append(pad(cell(row.get(i)), width[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String cell(Object v) {
        return v == null ? "NULL" : text(v);
    }

    /** Timestamps as ISO-8601 instants (the session is UTC), everything else as Spark's value prints itself. */
    private static String text(Object v) {
        if (v instanceof java.sql.Timestamp ts) {
            return ts.toInstant().toString();
        }
        return v.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
