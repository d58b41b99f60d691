package io.fleetshard.router;

/**
 * A single statement accepted by {@link SqlScanner}: its text without a trailing semicolon, its kind, and the number
 * of {@code ?} placeholders the driver will bind.
 */
record ScannedSql(String sql, StatementKind kind, int placeholders) {
}
