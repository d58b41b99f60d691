package io.fleetshard.client;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a statement is surely a read, which makes it safe to send again after a broken connection. It follows the
 * router's rule (router/README.md: a read starts with {@code SELECT}, {@code WITH}, {@code VALUES}, {@code TABLE},
 * {@code SHOW} or {@code EXPLAIN} and contains none of the write keywords) but errs towards "write": keywords are
 * looked for everywhere, also inside strings and comments, so a read may be taken for a write (and not retried), never
 * the other way round.
 */
enum StatementKind {
    READ, WRITE;

    private static final Set<String> READ_STARTS = Set.of("select", "with", "values", "table", "show", "explain");
    private static final Set<String> WRITE_WORDS = Set.of("insert", "update", "delete", "merge", "into", "share",
            "lock", "analyze", "analyse", "nextval", "setval", "call", "do", "copy", "upsert", "replace", "truncate");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");

    static StatementKind of(String sql) {
        Matcher m = WORD.matcher(stripLeadingNoise(sql));
        if (!m.lookingAt() || !READ_STARTS.contains(m.group().toLowerCase(Locale.ROOT))) {
            return WRITE;
        }
        Matcher all = WORD.matcher(sql);
        while (all.find()) {
            if (WRITE_WORDS.contains(all.group().toLowerCase(Locale.ROOT))) {
                return WRITE;
            }
        }
        return READ;
    }

    /** Drops leading whitespace, parentheses and comments, so that {@code (SELECT ...)} is seen as a read. */
    private static String stripLeadingNoise(String sql) {
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c) || c == '(') {
                i++;
            } else if (sql.startsWith("--", i)) {
                int nl = sql.indexOf('\n', i);
                i = nl < 0 ? sql.length() : nl + 1;
            } else if (sql.startsWith("/*", i)) {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? sql.length() : end + 2;
            } else {
                break;
            }
        }
        return sql.substring(i);
    }
}
