package io.fleetshard.cdc;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Host, port, database and query parameters of a node's JDBC URL ({@code jdbc:postgresql://h:p/db?..},
 * {@code jdbc:mariadb://..}); the parameters carry the node's TLS settings to the connector (docs/security.md).
 */
record JdbcTarget(String scheme, String host, int port, String database, Map<String, String> params) {
    JdbcTarget {
        params = Map.copyOf(params);
    }

    JdbcTarget(String scheme, String host, int port, String database) {
        this(scheme, host, port, database, Map.of());
    }

    /** A query parameter of the URL, if present and not blank. */
    Optional<String> param(String name) {
        return Optional.ofNullable(params.get(name)).filter(v -> !v.isBlank());
    }

    static JdbcTarget parse(String jdbcUrl) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
            throw new CaptureException("JDBC URL must start with 'jdbc:', got '" + jdbcUrl + "'");
        }
        URI uri;
        try {
            uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        } catch (IllegalArgumentException e) {
            throw new CaptureException("cannot parse JDBC URL '" + jdbcUrl + "': " + e.getMessage(), e);
        }
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (uri.getHost() == null || path.isEmpty()) {
            throw new CaptureException("JDBC URL '" + jdbcUrl + "' must name a host and a database (jdbc:<engine>://host:port/db)");
        }
        int port = uri.getPort();
        if (port < 0) {
            port = uri.getScheme().equals("postgresql") ? 5432 : 3306;
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("[&;]")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return new JdbcTarget(uri.getScheme(), uri.getHost(), port, path, params);
    }

    /** Without the parameters, which may hold a password. */
    @Override
    public String toString() {
        return scheme + "://" + host + ":" + port + "/" + database;
    }
}
