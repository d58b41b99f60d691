package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits one statement, already accepted by {@link SqlScanner}, into tokens with the quoting and comment rules of its
 * {@link SqlDialect}, for {@link AggregateQueryParser}. Comments are dropped; every token keeps its offsets in the
 * statement so that a parser can hand out the client's own text of an expression. MariaDB executable comments
 * ({@code /*! ... *}{@code /}) are tokenized as code, as the server runs them, and reported.
 */
final class SqlTokenizer {

    /** What a token is. */
    enum Kind {
        /** An unquoted word: keyword, identifier or function name. */
        WORD,
        /** A quoted identifier ({@code "x"}, MariaDB {@code `x`}). */
        QUOTED,
        /** A string literal of any form ({@code 'x'}, {@code E'x'}, {@code $$x$$}, MariaDB {@code "x"}). */
        STRING,
        NUMBER,
        /** A {@code ?} placeholder; {@link Token#param()} is its 0-based position among the statement's {@code ?}. */
        PARAM,
        /** Any other character or operator: {@code ( ) , . * ::} ... */
        SYMBOL
    }

    /** One token: {@code text} is the statement's text between {@code start} and {@code end}. */
    record Token(Kind kind, String text, int start, int end, int param) {
        boolean is(String keyword) {
            return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
        }

        boolean isSymbol(String symbol) {
            return kind == Kind.SYMBOL && text.equals(symbol);
        }

        String upper() {
            return text.toUpperCase(Locale.ROOT);
        }
    }

    /** The tokens of a statement, and whether it has MariaDB executable comments. */
    record Tokens(String sql, List<Token> list, boolean executableComments) {
    }

    private final String s;
    private final SqlDialect dialect;
    private final int n;
    private final List<Token> tokens = new ArrayList<>();
    private int i;
    private int params;
    private boolean executable;
    private int executableDepth;

    private SqlTokenizer(String s, SqlDialect dialect) {
        this.s = s;
        this.dialect = dialect;
        this.n = s.length();
    }

    static Tokens tokenize(String sql, SqlDialect dialect) {
        return new SqlTokenizer(sql, dialect).run();
    }

    private Tokens run() {
        while (i < n) {
            char c = s.charAt(i);
            char next = i + 1 < n ? s.charAt(i + 1) : 0;
            int start = i;
            if (Character.isWhitespace(c)) {
                i++;
            } else if (skipComment()) {
                // dropped
            } else if (c == '*' && next == '/' && executableDepth > 0) {
                executableDepth--;
                i += 2;
            } else if (c == '\'') {
                skipQuoted('\'', dialect == SqlDialect.MARIADB);
                add(Kind.STRING, start);
            } else if (c == '"') {
                skipQuoted('"', dialect == SqlDialect.MARIADB);
                add(dialect == SqlDialect.MARIADB ? Kind.STRING : Kind.QUOTED, start);
            } else if (c == '`' && dialect == SqlDialect.MARIADB) {
                skipQuoted('`', false);
                add(Kind.QUOTED, start);
            } else if (c == '$' && dialect == SqlDialect.POSTGRES && dollarTagAt(i) > 0) {
                int len = dollarTagAt(i);
                int close = s.indexOf(s.substring(i, i + len), i + len);
                i = close < 0 ? n : close + len;
                add(Kind.STRING, start);
            } else if (c == '?') {
                if (dialect == SqlDialect.POSTGRES && next == '?') {
                    i += 2; // pgjdbc's escape of a literal '?' operator
                    add(Kind.SYMBOL, start);
                } else {
                    i++;
                    tokens.add(new Token(Kind.PARAM, "?", start, i, params++));
                }
            } else if (Character.isDigit(c) || (c == '.' && Character.isDigit(next))) {
                number();
                add(Kind.NUMBER, start);
            } else if (Character.isLetter(c) || c == '_') {
                while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) {
                    i++;
                }
                if (i < n && s.charAt(i) == '\'' && (dialect == SqlDialect.POSTGRES && i - start == 1
                        && (c == 'E' || c == 'e') || isCharsetIntroducer(start))) {
                    // E'...' (PostgreSQL), X'..', B'..', N'..', _utf8mb4'...' (MariaDB): one literal
                    skipQuoted('\'', dialect == SqlDialect.MARIADB || c == 'E' || c == 'e');
                    add(Kind.STRING, start);
                } else {
                    add(Kind.WORD, start);
                }
            } else if (c == ':' && next == ':') {
                i += 2;
                add(Kind.SYMBOL, start);
            } else {
                i++;
                add(Kind.SYMBOL, start);
            }
        }
        return new Tokens(s, List.copyOf(tokens), executable);
    }

    private boolean isCharsetIntroducer(int start) {
        int len = i - start;
        char c = Character.toUpperCase(s.charAt(start));
        return len == 1 && (c == 'X' || c == 'B' || c == 'N') || dialect == SqlDialect.MARIADB && c == '_';
    }

    private void add(Kind kind, int start) {
        tokens.add(new Token(kind, s.substring(start, i), start, i, -1));
    }

    private void number() {
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == '_')) {
            char c = s.charAt(i);
            i++;
            if ((c == 'e' || c == 'E') && i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
        }
    }

    private boolean skipComment() {
        char c = s.charAt(i);
        char next = i + 1 < n ? s.charAt(i + 1) : 0;
        if (c == '-' && next == '-') {
            if (dialect == SqlDialect.MARIADB) {
                char after = i + 2 < n ? s.charAt(i + 2) : ' ';
                if (!Character.isWhitespace(after) && !Character.isISOControl(after)) {
                    return false;
                }
            }
            skipLine();
            return true;
        }
        if (c == '#' && dialect == SqlDialect.MARIADB) {
            skipLine();
            return true;
        }
        if (c != '/' || next != '*') {
            return false;
        }
        if (dialect == SqlDialect.MARIADB) {
            char after = i + 2 < n ? s.charAt(i + 2) : 0;
            if (after == '!' || (after == 'M' && i + 3 < n && s.charAt(i + 3) == '!')) {
                i += after == '!' ? 3 : 4;
                while (i < n && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                executable = true;
                executableDepth++;
                return true;
            }
            int close = s.indexOf("*/", i + 2);
            i = close < 0 ? n : close + 2;
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
        return true;
    }

    private void skipLine() {
        while (i < n && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
            i++;
        }
    }

    private void skipQuoted(char q, boolean backslashEscapes) {
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
        // SqlScanner rejects unterminated literals first; this is a guard, not a path clients reach
        throw ApiProblem.badRequest("sql has an unterminated quoted text");
    }

    private int dollarTagAt(int at) {
        int j = at + 1;
        if (j < n && s.charAt(j) == '$') {
            return 2;
        }
        if (j >= n || !(Character.isLetter(s.charAt(j)) || s.charAt(j) == '_')) {
            return 0;
        }
        while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
            j++;
        }
        return j < n && s.charAt(j) == '$' ? j - at + 1 : 0;
    }
}
