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
 * The canonical text form of a row that the offload compares (ADR 0023): the same string is computed by PostgreSQL on
 * the shard ({@link #sqlRowText}) and in Java from an Iceberg record ({@link #text}), and its MD5 identifies a row's
 * key and content. Columns are the Iceberg table's, in schema order, joined by {@code |}; null is {@code \N}.
 * <ul>
 *   <li>strings as they are; integers and booleans as PostgreSQL prints them;</li>
 *   <li>{@code timestamptz}: UTC, {@code YYYY-MM-DDTHH:MI:SS.ffffff} (microseconds, the precision both sides hold);</li>
 *   <li>{@code double}: rounded to 15 significant digits (PostgreSQL's float8-to-numeric conversion), then to
 *   {@value #DOUBLE_SCALE} decimals, printed without exponent: a change below that resolution is not seen.</li>
 * </ul>
 */
final class OffloadRowForm {
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

    /** PostgreSQL expression of the canonical text of a row of table alias {@code alias}. */
    String sqlRowText(String alias) {
        List<String> parts = new ArrayList<>();
        for (Types.NestedField f : columns) {
            String c = alias + "." + quote(f.name());
            String expr = switch (f.type().typeId()) {
                case TIMESTAMP -> "to_char(" + c + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')";
                case DOUBLE -> "round(" + c + "::numeric, " + DOUBLE_SCALE + ")::text";
                default -> c + "::text";
            };
            parts.add("coalesce(" + expr + ", '" + NULL + "')");
        }
        return "concat_ws('|', " + String.join(", ", parts) + ")";
    }

    /** PostgreSQL expression of the row's MD5 (hex) over its canonical text. */
    String sqlRowHash(String alias) {
        return "md5(" + sqlRowText(alias) + ")";
    }

    /** PostgreSQL expression of the row's 64-bit checksum term: the first 16 hex digits of its MD5, signed. */
    String sqlRowTerm(String alias) {
        return "('x' || substr(" + sqlRowHash(alias) + ", 1, 16))::bit(64)::bigint";
    }

    /** The canonical text of an Iceberg record of this schema. */
    String text(Record r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) {
                b.append('|');
            }
            Types.NestedField f = columns.get(i);
            b.append(value(f.type(), r.getField(f.name())));
        }
        return b.toString();
    }

    /** A value as the canonical text prints it. */
    static String value(Type type, Object v) {
        if (v == null) {
            return NULL;
        }
        return switch (type.typeId()) {
            case TIMESTAMP -> TS.format(((OffsetDateTime) v).withOffsetSameInstant(ZoneOffset.UTC));
            case DOUBLE -> doubleText((Double) v);
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

    static String doubleText(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return Double.isNaN(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
        }
        return new BigDecimal(d).round(DOUBLE_DIGITS).setScale(DOUBLE_SCALE, RoundingMode.HALF_UP).toPlainString();
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

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
