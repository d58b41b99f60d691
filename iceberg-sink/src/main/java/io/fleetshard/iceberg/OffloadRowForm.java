package io.fleetshard.iceberg;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * The canonical text form of a row that the offload compares (ADR 0023): the same string is computed by the shard's
 * database ({@link #sqlRowText}) and in Java from an Iceberg record ({@link #text}), and its MD5 identifies a row's
 * key and content. Columns are the Iceberg table's, in schema order, joined by {@code |}; null is {@code \N}.
 * <ul>
 *   <li>strings as they are; integers as decimal digits; booleans {@code true}/{@code false};</li>
 *   <li>{@code timestamptz}: UTC, {@code YYYY-MM-DDTHH:MI:SS.ffffff} (microseconds, the precision both sides hold;
 *   MariaDB's {@code DATETIME} holds UTC);</li>
 *   <li>{@code double}: {@value #DOUBLE_SCALE} decimals (half up), printed without exponent, from the decimal the
 *   engine converts a double to: PostgreSQL's float8-to-numeric keeps 15 significant digits, MariaDB's cast to
 *   {@code DECIMAL} starts from the shortest decimal that reads back as the same double. The two differ for large
 *   or long values, so a shard's rows are compared in its own engine's form ({@link Dialect}); a change below the
 *   resolution is not seen.</li>
 * </ul>
 */
final class OffloadRowForm {
    /** The SQL dialect of a shard: the engine that computes its side of the comparison. */
    enum Dialect {
        POSTGRES, MARIADB;

        /** The dialect of a JDBC URL, or empty for an engine the offload cannot compare on. */
        static java.util.Optional<Dialect> of(String jdbcUrl) {
            if (jdbcUrl.startsWith("jdbc:postgresql:")) {
                return java.util.Optional.of(POSTGRES);
            }
            if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
                return java.util.Optional.of(MARIADB);
            }
            return java.util.Optional.empty();
        }
    }

    static final int DOUBLE_SCALE = 9;
    private static final String NULL = "\\N";
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");
    private static final MathContext DOUBLE_DIGITS = new MathContext(15, RoundingMode.HALF_EVEN);

    private final Schema schema;
    private final List<Types.NestedField> columns;

    OffloadRowForm(Schema schema) {
        this.schema = schema;
        this.columns = schema.columns();
        List<String> unsupported = new ArrayList<>();
        for (Types.NestedField f : columns) {
            if (!supported(f.type())) {
                unsupported.add(f.name() + " (" + f.type() + ")");
            }
        }
        if (!unsupported.isEmpty()) {
            throw new IcebergSinkException("offload compares strings, integers, booleans, doubles and timestamptz"
                    + " columns only; the table has " + String.join(", ", unsupported));
        }
    }

    private static boolean supported(Type t) {
        return switch (t.typeId()) {
            case STRING, LONG, INTEGER, BOOLEAN, DOUBLE -> true;
            case TIMESTAMP -> ((Types.TimestampType) t).shouldAdjustToUTC();
            default -> false;
        };
    }

    Schema schema() {
        return schema;
    }

    /** SQL expression (in {@code d}'s dialect) of the canonical text of a row of table alias {@code alias}. */
    String sqlRowText(Dialect d, String alias) {
        List<String> parts = new ArrayList<>();
        for (Types.NestedField f : columns) {
            String c = alias + "." + quote(d, f.name());
            String expr = d == Dialect.POSTGRES ? switch (f.type().typeId()) {
                case TIMESTAMP -> "to_char(" + c + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')";
                case DOUBLE -> "round(" + c + "::numeric, " + DOUBLE_SCALE + ")::text";
                default -> c + "::text";
            } : switch (f.type().typeId()) {
                // DATETIME as it is (UTC); a TIMESTAMP column prints in the session's zone, which the offload sets to UTC
                case TIMESTAMP -> "DATE_FORMAT(" + c + ", '%Y-%m-%dT%H:%i:%s.%f')";
                case DOUBLE -> "CAST(CAST(" + c + " AS DECIMAL(65, " + DOUBLE_SCALE + ")) AS CHAR)";
                case BOOLEAN -> "IF(" + c + ", 'true', 'false')";
                case STRING -> c;
                default -> "CAST(" + c + " AS CHAR)";
            };
            // MariaDB: \N spelled by code points, whatever the session's NO_BACKSLASH_ESCAPES
            parts.add(d == Dialect.POSTGRES ? "coalesce(" + expr + ", '" + NULL + "')"
                    : "COALESCE(" + expr + ", CHAR(92, 78 USING utf8mb4))");
        }
        return (d == Dialect.POSTGRES ? "concat_ws('|', " : "CONCAT_WS('|', ") + String.join(", ", parts) + ")";
    }

    /** SQL expression of the row's MD5 (lower-case hex) over its canonical text. */
    String sqlRowHash(Dialect d, String alias) {
        return (d == Dialect.POSTGRES ? "md5(" : "MD5(") + sqlRowText(d, alias) + ")";
    }

    /** SQL expression of the row's 64-bit checksum term: the first 16 hex digits of its MD5, signed. */
    String sqlRowTerm(Dialect d, String alias) {
        return d == Dialect.POSTGRES ? "('x' || substr(" + sqlRowHash(d, alias) + ", 1, 16))::bit(64)::bigint"
                // the unsigned value cast to SIGNED wraps to its two's complement, as Long.parseUnsignedLong does
                : "CAST(CONV(SUBSTR(" + sqlRowHash(d, alias) + ", 1, 16), 16, 10) AS SIGNED)";
    }

    /** The canonical text of an Iceberg record of this schema, as {@code d} computes it on the shard. */
    String text(Dialect d, Record r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) {
                b.append('|');
            }
            Types.NestedField f = columns.get(i);
            b.append(value(d, f.type(), r.getField(f.name())));
        }
        return b.toString();
    }

    /** A value as the canonical text prints it. */
    static String value(Dialect d, Type type, Object v) {
        if (v == null) {
            return NULL;
        }
        return switch (type.typeId()) {
            case TIMESTAMP -> TS.format(((OffsetDateTime) v).withOffsetSameInstant(ZoneOffset.UTC));
            case DOUBLE -> doubleText(d, (Double) v);
            default -> v.toString();
        };
    }

    /** A key column's value as PostgreSQL reads it back ({@code timestamptz} as an ISO instant). */
    static String keyText(Type type, Object v) {
        if (type.typeId() == Type.TypeID.TIMESTAMP) {
            return ((OffsetDateTime) v).toInstant().toString();
        }
        return v.toString();
    }

    static String doubleText(Dialect dialect, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return Double.isNaN(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
        }
        BigDecimal decimal = dialect == Dialect.POSTGRES ? new BigDecimal(d).round(DOUBLE_DIGITS)
                // JDK 17's Double.toString is not always the shortest form (JDK-4511638): a longer one can round
                // differently at the 9th decimal only when its extra digit sits at that boundary; such a row does
                // not verify and stays on the shard
                : new BigDecimal(Double.toString(d));
        return decimal.setScale(DOUBLE_SCALE, RoundingMode.HALF_UP).toPlainString();
    }

    static String md5(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is a required JDK algorithm", e);
        }
    }

    /** The checksum term of a row hash: as {@link #sqlRowTerm} computes it. */
    static long term(String md5Hex) {
        return Long.parseUnsignedLong(md5Hex.substring(0, 16), 16);
    }

    /** A checksum (sum of terms) as text. */
    static String checksum(BigInteger sum) {
        return sum.toString();
    }

    static String quote(Dialect d, String identifier) {
        return d == Dialect.POSTGRES ? "\"" + identifier.replace("\"", "\"\"") + "\""
                : "`" + identifier.replace("`", "``") + "`";
    }
}
