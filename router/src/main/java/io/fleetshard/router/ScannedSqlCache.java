package io.fleetshard.router;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The results of {@link SqlScanner#scan} for statements seen lately, per dialect: applications send the same SQL text
 * with other parameters, and a map lookup costs less than lexing it again. Only accepted statements are kept (a
 * rejected one throws every time); {@link ScannedSql} is immutable, so a hit is exactly what a scan would return.
 * Bounded: at most {@value #MAX_ENTRIES} statements of at most {@value #MAX_SQL_CHARS} characters per dialect; when
 * full it starts over.
 */
final class ScannedSqlCache {
    static final int MAX_ENTRIES = 4096;
    static final int MAX_SQL_CHARS = 4096;

    private final Map<SqlDialect, ConcurrentHashMap<String, ScannedSql>> byDialect = new EnumMap<>(SqlDialect.class);

    ScannedSqlCache() {
        for (SqlDialect d : SqlDialect.values()) {
            byDialect.put(d, new ConcurrentHashMap<>());
        }
    }

    ScannedSql scan(String sql, SqlDialect dialect) {
        ConcurrentHashMap<String, ScannedSql> cache = byDialect.get(dialect);
        ScannedSql hit = cache.get(sql);
        if (hit != null) {
            return hit;
        }
        ScannedSql scanned = SqlScanner.scan(sql, dialect);
        if (sql.length() <= MAX_SQL_CHARS) {
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
            cache.put(sql, scanned);
        }
        return scanned;
    }

    int size(SqlDialect dialect) {
        return byDialect.get(dialect).size();
    }
}
