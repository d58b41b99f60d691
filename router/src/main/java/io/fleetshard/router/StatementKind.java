package io.fleetshard.router;

/** How the router treats a statement: reads may go to replicas; everything else is a write and goes to the primary. */
enum StatementKind {
    READ, WRITE;

    boolean isRead() {
        return this == READ;
    }
}
