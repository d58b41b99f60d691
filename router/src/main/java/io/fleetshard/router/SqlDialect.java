package io.fleetshard.router;

/** Lexical rules of a shard engine's SQL, as far as {@link SqlScanner} needs them. */
enum SqlDialect {
    /**
     * PostgreSQL with {@code standard_conforming_strings=on}: backslashes are literal in {@code '...'} but escape in
     * {@code E'...'}; dollar quotes; nested block comments; {@code ??} is pgjdbc's escaped {@code ?}.
     */
    POSTGRES,
    /**
     * MariaDB/MySQL: backslash escapes in {@code '...'} and {@code "..."}; back-quoted identifiers; {@code #} and
     * {@code -- } comments; {@code /*! ... *}{@code /} is executable code, not a comment.
     */
    MARIADB
}
