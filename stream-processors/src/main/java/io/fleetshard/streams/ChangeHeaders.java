package io.fleetshard.streams;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** The headers of change events and shard-log records (docs/spec/change-events.md, ADR 0013) that routing needs. */
final class ChangeHeaders {
    static final String OP = "fleetshard.op";
    static final String TENANT = "fleetshard.tenant";
    static final String FLEET = "fleetshard.fleet";
    static final String SHARD = "fleetshard.shard";
    /** {@code reshard} on the resharder's own (tagged) records: never a change of the application's. */
    static final String ORIGIN = "fleetshard.origin";
    static final String ORIGIN_RESHARD = "reshard";
    /** {@code offload} on the deletes of cold rows already in Iceberg (ADR 0023): real, but not the application's. */
    static final String ORIGIN_OFFLOAD = "offload";
    /** On a tagged transaction's marker record: its kind ({@code copy, apply, cleanup, fence, rollback}). */
    static final String MARKER = "fleetshard.marker";
    static final String MARKER_FENCE = "fence";
    /** Capture's watermark on the shard log (ADR 0048): no change of any row, only the archive reads it. */
    static final String MARKER_WATERMARK = "watermark";

    private ChangeHeaders() {
    }

    /** The last value of header {@code name} as UTF-8, or null. */
    static String text(Headers headers, String name) {
        if (headers == null) {
            return null;
        }
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static boolean isTagged(Headers headers) {
        return ORIGIN_RESHARD.equals(text(headers, ORIGIN));
    }

    static boolean isWatermark(Headers headers) {
        return MARKER_WATERMARK.equals(text(headers, MARKER));
    }

    static boolean isOffload(Headers headers) {
        return ORIGIN_OFFLOAD.equals(text(headers, ORIGIN));
    }

    /** {@code tenant/fleet} of the record, or null when either header is missing. */
    static String fleetKey(Headers headers) {
        String tenant = text(headers, TENANT);
        String fleet = text(headers, FLEET);
        return tenant == null || fleet == null ? null : tenant + "/" + fleet;
    }
}
