package io.fleetshard.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * An error answer of the router or the control API: the fields of its {@code application/problem+json} body
 * ({@code type}, {@code title}, {@code status}, {@code detail}, {@code instance}) and its {@code Retry-After}. A body
 * that is not a problem (a proxy's HTML page) keeps its first characters as the detail.
 */
record Problem(int status, String type, String title, String detail, String instance, Duration retryAfter) {
    static final String FLEET_MOVING = "fleet-moving";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RAW_DETAIL = 300;

    /** Reads an error answer; never throws. */
    static Problem parse(int status, String retryAfterHeader, byte[] body, Instant now) {
        Duration retryAfter = retryAfter(retryAfterHeader, now);
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.isObject()) {
                return new Problem(status, text(n, "type"), text(n, "title"), text(n, "detail"), text(n, "instance"),
                        retryAfter);
            }
        } catch (IOException e) {
            // not JSON: keep the raw text below
        }
        String raw = text.length() > MAX_RAW_DETAIL ? text.substring(0, MAX_RAW_DETAIL) + "..." : text;
        return new Problem(status, null, null, raw.isBlank() ? "(empty body)" : raw.strip(), null, retryAfter);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** {@code Retry-After} as delay-seconds or an HTTP date (RFC 9110); null when absent or unreadable. */
    static Duration retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.strip();
        try {
            long seconds = Long.parseLong(h);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException e) {
            try {
                Instant at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(now, at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /** The last segment of a problem type URI ({@code https://fleetshard.io/problems/fleet-moving}); null stays. */
    static String slugOf(String type) {
        if (type == null) {
            return null;
        }
        int slash = type.lastIndexOf('/');
        return slash < 0 ? type : type.substring(slash + 1);
    }

    /** The typed exception of this answer; {@code context} says which request got it. */
    FleetShardException toException(String context, boolean mayHaveExecuted) {
        String message = context + ": " + status + (title == null ? "" : " " + title) + ": " + detail;
        return switch (status) {
            case 400, 413 -> new InvalidQueryException(message, this, false);
            case 401, 403 -> new NotAuthorizedException(message, this);
            case 404 -> new NotFoundException(message, this, false);
            case 409 -> new ConflictException(message, this, false);
            case 422 -> new QueryRejectedException(message, this, false);
            case 503 -> new UnavailableException(message, this, mayHaveExecuted);
            case 504 -> new QueryTimeoutException(message, this, mayHaveExecuted);
            default -> new FleetShardException(message, this, mayHaveExecuted, null);
        };
    }
}
