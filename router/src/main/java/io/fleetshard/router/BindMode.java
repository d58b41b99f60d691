package io.fleetshard.router;

/**
 * How a statement is bound to its tenant on the connection it runs on (ADR 0016,
 * {@code docs/adr/0016-router-fast-path.md}).
 */
enum BindMode {
    /** The connection is known to hold the statement's tenant, fleet and timeout: the statement runs alone. */
    BOUND,
    /** Binds the connection's session to the tenant in the statement's transaction; kept for later statements. */
    BIND_CONNECTION,
    /**
     * Binds the tenant for this statement's transaction only (a timeout shorter than the connection binding's, or
     * connection binding switched off): what the connection held before is left as it was.
     */
    BIND_TRANSACTION
}
