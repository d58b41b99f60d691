package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import java.util.Locale;
import java.util.Set;

/**
 * A small lexer over a client's SQL that finds out, without parsing it, what the router must know: whether it is one
 * statement (a {@code ;} outside literals and comments followed by more code is rejected), whether it is a read, and
 * how many placeholders it has. It respects quotes, dollar quotes and comments of the shard's {@link SqlDialect}; when
 * it cannot be sure, it errs towards "multi-statement" (rejected) and "write" (primary).
 *
 * <p>Session and transaction control ({@code SET}, {@code BEGIN}, {@code LISTEN}, {@code ALTER ROLE} ...) is rejected:
 * such statements would change a pooled connection that the next request, maybe another tenant's, reuses. So are
 * MariaDB user variables ({@code @name}, {@code SELECT ... INTO @name}; ADR 0020); system variables ({@code @@name})
 * may be read.
 */
final class SqlScanner {
    /** First keywords of statements that can be served by a replica, unless a {@link #WRITE_MARKERS} word appears. */
    private static final Set<String> READ_STARTS = Set.of("SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN",
            "DESCRIBE", "DESC");
    /** Words that make a read-looking statement a write: data-modifying CTEs, row locks, EXPLAIN ANALYZE, sequences. */
    private static final Set<String> WRITE_MARKERS = Set.of("INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "LOCK",
            "SHARE", "ANALYZE", "ANALYSE", "NEXTVAL", "SETVAL");
    /** First keywords of session and transaction control statements, never forwarded. */
    private static final Set<String> CONTROL_STARTS = Set.of("SET", "RESET", "DISCARD", "BEGIN", "START", "COMMIT",
            "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE", "EXECUTE", "DEALLOCATE", "LISTEN", "UNLISTEN",
            "NOTIFY", "LOAD", "DO", "CALL", "COPY", "GRANT", "REVOKE", "USE", "HANDLER", "FLUSH", "KILL", "LOCK",
            "UNLOCK", "XA", "CHECKPOINT", "VACUUM", "SHUTDOWN", "INSTALL", "UNINSTALL", "BINLOG", "PURGE", "CHANGE",
            "RESTART", "SECURITY", "REASSIGN", "IMPORT", "CLUSTER",
            // a cursor WITH HOLD outlives the request on the pooled connection, materialized for its tenant
            "DECLARE", "FETCH", "MOVE", "CLOSE");
    /** {@code ALTER/CREATE/DROP/RENAME} of these objects is access control, never forwarded. */
    private static final Set<String> CONTROL_OBJECTS = Set.of("ROLE", "USER", "GROUP", "SYSTEM", "SERVER");
    private static final Set<String> DDL_VERBS = Set.of("ALTER", "CREATE", "DROP", "RENAME");

    private SqlScanner() {
    }

    /**
     * Scans {@code sql}.
     *
     * @throws ApiProblem 400 when it is empty, holds more than one statement, is session or transaction control, or
     *         has an unterminated literal or comment
     */
    static ScannedSql scan(String sql, SqlDialect dialect) {
        return new Lexer(sql, dialect).run();
    }

    private static final class Lexer {
        private final String s;
        private final SqlDialect dialect;
        private final int n;
        private int i;
        private int placeholders;
        private String first;
        private String second;
        private boolean writeMarker;
        private int end = -1; // index of the terminating ';', if any
        private int executableCommentDepth;
        private boolean variables;
        private int userVariableAt = -1;

        Lexer(String s, SqlDialect dialect) {
            this.s = s;
            this.dialect = dialect;
            this.n = s.length();
        }

        ScannedSql run() {
            while (i < n) {
                char c = s.charAt(i);
                if (end >= 0) {
                    // after the terminator only whitespace, comments and more semicolons may follow
                    if (Character.isWhitespace(c) || c == ';') {
                        i++;
                    } else if (!skipComment()) {
                        throw ApiProblem.badRequest("sql must be a single statement: found more SQL after the ';' at"
                                + " offset " + end);
                    }
                    continue;
                }
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (skipComment()) {
                    // skipped
                } else if (c == '\'') {
                    skipString('\'', dialect == SqlDialect.MARIADB);
                } else if (c == '"') {
                    if (dialect == SqlDialect.MARIADB) {
                        skipString('"', true);
                    } else {
                        skipQuotedIdentifier('"');
                    }
                } else if (c == '`' && dialect == SqlDialect.MARIADB) {
                    skipQuotedIdentifier('`');
                } else if (c == '$' && dialect == SqlDialect.POSTGRES && dollarQuoteAt(i) > 0) {
                    skipDollarQuoted();
                } else if (c == '?') {
                    if (dialect == SqlDialect.POSTGRES && i + 1 < n && s.charAt(i + 1) == '?') {
                        i += 2; // pgjdbc's escape for a literal '?' operator
                    } else {
                        placeholders++;
                        i++;
                    }
                } else if (c == '@') {
                    variables = true;
                    if (dialect == SqlDialect.MARIADB) {
                        if (i + 1 < n && s.charAt(i + 1) == '@') {
                            i += 2; // @@name: a system variable, which an expression can read but never assign
                        } else {
                            if (userVariableAt < 0) {
                                userVariableAt = i;
                            }
                            i++;
                        }
                    } else {
                        i++;
                    }
                } else if (c == ';') {
                    end = i;
                    i++;
                } else if (c == '*' && executableCommentDepth > 0 && i + 1 < n && s.charAt(i + 1) == '/') {
                    executableCommentDepth--;
                    i += 2;
                } else if (isWordStart(c)) {
                    int start = i;
                    while (i < n && isWordPart(s.charAt(i))) {
                        i++;
                    }
                    if (dialect == SqlDialect.POSTGRES && i - start == 1 && (c == 'E' || c == 'e') && i < n
                            && s.charAt(i) == '\'') {
                        skipString('\'', true); // E'...' escape string
                    } else {
                        word(s.substring(start, i));
                    }
                } else {
                    i++;
                }
            }
            if (first == null) {
                throw ApiProblem.badRequest("sql is empty: send one SQL statement");
            }
            if (CONTROL_STARTS.contains(first)
                    || (DDL_VERBS.contains(first) && second != null && CONTROL_OBJECTS.contains(second))) {
                throw ApiProblem.badRequest("sql is a session, transaction or access control statement (" + first
                        + (second != null && DDL_VERBS.contains(first) ? " " + second : "") + "), which the router does"
                        + " not forward: each request runs as one statement in its own transaction");
            }
            if (userVariableAt >= 0) {
                // ADR 0020: a user variable is session state that outlives the statement on the pooled connection,
                // and the fleet guard of MariaDB writes reads one
                throw ApiProblem.badRequest("sql uses a user variable (@name at offset " + userVariableAt + "), which"
                        + " the router does not forward to MariaDB shards: a variable outlives the statement on the"
                        + " pooled connection; pass values as parameters (?)");
            }
            StatementKind kind = READ_STARTS.contains(first) && !writeMarker ? StatementKind.READ : StatementKind.WRITE;
            String text = end >= 0 ? s.substring(0, end) : s;
            return new ScannedSql(text, kind, placeholders, variables && dialect == SqlDialect.MARIADB);
        }

        private void word(String w) {
            String upper = w.toUpperCase(Locale.ROOT);
            if (first == null) {
                first = upper;
            } else if (second == null) {
                second = upper;
            }
            if (WRITE_MARKERS.contains(upper)) {
                writeMarker = true;
            }
            refuseProcessList(upper);
        }

        /**
         * MariaDB shows every thread of the same account, with its statement text, in {@code PROCESSLIST} without any
         * privilege: the router's account is shared by all tenants, so that would show other tenants' SQL (ADR 0020).
         */
        private void refuseProcessList(String identifier) {
            if (dialect == SqlDialect.MARIADB && identifier.equalsIgnoreCase("PROCESSLIST")) {
                throw ApiProblem.badRequest("sql reads the process list, which the router does not forward to MariaDB"
                        + " shards: it shows the statements of every tenant served by the same account");
            }
        }

        /** Skips a comment at {@code i} and returns true, or returns false when there is none. */
        private boolean skipComment() {
            char c = s.charAt(i);
            char next = i + 1 < n ? s.charAt(i + 1) : 0;
            if (c == '-' && next == '-') {
                if (dialect == SqlDialect.MARIADB) {
                    char after = i + 2 < n ? s.charAt(i + 2) : ' ';
                    if (!Character.isWhitespace(after) && !Character.isISOControl(after)) {
                        return false; // "1--1" is arithmetic in MariaDB
                    }
                }
                skipToLineEnd();
                return true;
            }
            if (c == '#' && dialect == SqlDialect.MARIADB) {
                skipToLineEnd();
                return true;
            }
            if (c == '/' && next == '*') {
                if (dialect == SqlDialect.MARIADB) {
                    char after = i + 2 < n ? s.charAt(i + 2) : 0;
                    if (after == '!' || (after == 'M' && i + 3 < n && s.charAt(i + 3) == '!')) {
                        // executable comment: its content is code
                        i += after == '!' ? 3 : 4;
                        while (i < n && Character.isDigit(s.charAt(i))) {
                            i++;
                        }
                        executableCommentDepth++;
                        return true;
                    }
                    int close = s.indexOf("*/", i + 2);
                    if (close < 0) {
                        throw unterminated("block comment");
                    }
                    i = close + 2;
                    return true;
                }
                int depth = 0;
                while (i < n) {
                    if (s.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    } else if (s.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                        if (depth == 0) {
                            return true;
                        }
                    } else {
                        i++;
                    }
                }
                throw unterminated("block comment");
            }
            return false;
        }

        private void skipToLineEnd() {
            while (i < n && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
                i++;
            }
        }

        /** Skips a literal quoted by {@code q} starting at {@code i}; a doubled quote is a quote. */
        private void skipString(char q, boolean backslashEscapes) {
            i++;
            while (i < n) {
                char c = s.charAt(i);
                if (backslashEscapes && c == '\\') {
                    i += 2;
                } else if (c == q) {
                    if (i + 1 < n && s.charAt(i + 1) == q) {
                        i += 2;
                    } else {
                        i++;
                        return;
                    }
                } else {
                    i++;
                }
            }
            throw unterminated("string literal");
        }

        private void skipQuotedIdentifier(char q) {
            int start = ++i;
            while (i < n) {
                if (s.charAt(i) == q) {
                    if (i + 1 < n && s.charAt(i + 1) == q) {
                        i += 2;
                    } else {
                        refuseProcessList(s.substring(start, i).replace(String.valueOf(q) + q, String.valueOf(q)));
                        i++;
                        return;
                    }
                } else {
                    i++;
                }
            }
            throw unterminated("quoted identifier");
        }

        /** Length of the dollar-quote tag ({@code $$} or {@code $tag$}) starting at {@code at}, or 0 if none. */
        private int dollarQuoteAt(int at) {
            int j = at + 1;
            if (j < n && s.charAt(j) == '$') {
                return 2;
            }
            if (j >= n || !(Character.isLetter(s.charAt(j)) || s.charAt(j) == '_')) {
                return 0; // "$1" is a parameter
            }
            while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                j++;
            }
            return j < n && s.charAt(j) == '$' ? j - at + 1 : 0;
        }

        private void skipDollarQuoted() {
            int len = dollarQuoteAt(i);
            String tag = s.substring(i, i + len);
            int close = s.indexOf(tag, i + len);
            if (close < 0) {
                throw unterminated("dollar-quoted string");
            }
            i = close + len;
        }

        private ApiProblem unterminated(String what) {
            return ApiProblem.badRequest("sql has an unterminated " + what);
        }

        private boolean isWordStart(char c) {
            return Character.isLetter(c) || c == '_';
        }

        private boolean isWordPart(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '$';
        }
    }
}
