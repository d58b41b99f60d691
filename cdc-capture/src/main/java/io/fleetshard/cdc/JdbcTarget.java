package io.fleetshard.cdc;

import java.net.URI;

/** Host, port and database of a node's JDBC URL ({@code jdbc:postgresql://h:p/db?..}, {@code jdbc:mariadb://..}). */
record JdbcTarget(String scheme, String host, int port, String database) {

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
        return new JdbcTarget(uri.getScheme(), uri.getHost(), port, path);
    }
}
