package io.fleetshard.router;

/**
 * A single statement accepted by {@link SqlScanner}: its text without a trailing semicolon, its kind, the number of
 * {@code ?} placeholders the driver will bind, and whether it mentions a system variable ({@code @@name} outside
 * literals and comments; MariaDB only; user variables are rejected by the scanner, ADR 0020).
 */
record ScannedSql(String sql, StatementKind kind, int placeholders, boolean mentionsVariables) {
}
