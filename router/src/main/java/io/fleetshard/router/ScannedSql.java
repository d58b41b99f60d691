package io.fleetshard.router;

/**
 * A single statement accepted by {@link SqlScanner}: its text without a trailing semicolon, its kind, the number of
 * {@code ?} placeholders the driver will bind, and whether it mentions a variable ({@code @name}, {@code @@name}
 * outside literals and comments; MariaDB only), by which it could assign the session variables that bind a MariaDB
 * connection to its tenant.
 */
record ScannedSql(String sql, StatementKind kind, int placeholders, boolean mentionsVariables) {
}
