package io.fleetshard.http;

import java.util.Map;

/**
 * An error answered to an API client as {@code application/problem+json} ({@code type}, {@code title}, {@code status},
 * {@code detail}). Handlers throw it; {@link ProblemResponses} turns it into the response, so every API of FleetShard
 * has one error shape.
 */
public class ApiProblem extends RuntimeException {
    private final int status;
    private final String type;
    private final String title;
    private final Integer retryAfterSeconds;
    private final Map<String, String> headers;

    public ApiProblem(int status, String type, String title, String detail, Integer retryAfterSeconds) {
        this(status, type, title, detail, retryAfterSeconds, Map.of());
    }

    /** @param headers more response headers, e.g. {@code WWW-Authenticate} of a 401 */
    public ApiProblem(int status, String type, String title, String detail, Integer retryAfterSeconds,
            Map<String, String> headers) {
        super(detail);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("problem status must be 4xx or 5xx, got " + status);
        }
        this.status = status;
        this.type = type;
        this.title = title;
        this.retryAfterSeconds = retryAfterSeconds;
        this.headers = Map.copyOf(headers);
    }

    public static ApiProblem badRequest(String detail) {
        return new ApiProblem(400, "bad-request", "Bad request", detail, null);
    }

    public static ApiProblem notFound(String detail) {
        return new ApiProblem(404, "not-found", "Not found", detail, null);
    }

    public static ApiProblem conflict(String detail) {
        return new ApiProblem(409, "conflict", "Conflict", detail, null);
    }

    public static ApiProblem payloadTooLarge(String detail) {
        return new ApiProblem(413, "payload-too-large", "Payload too large", detail, null);
    }

    public static ApiProblem unprocessable(String detail) {
        return new ApiProblem(422, "unprocessable", "Rejected by the shard", detail, null);
    }

    public static ApiProblem unavailable(String detail, int retryAfterSeconds) {
        return new ApiProblem(503, "unavailable", "Service unavailable", detail, retryAfterSeconds);
    }

    public static ApiProblem timeout(String detail) {
        return new ApiProblem(504, "timeout", "Timed out", detail, null);
    }

    public int status() {
        return status;
    }

    /** Short slug; the response's {@code type} is {@code https://fleetshard.io/problems/<slug>}. */
    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    /** Seconds for the {@code Retry-After} header, or null. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** Headers the response carries besides {@code Retry-After}. */
    public Map<String, String> headers() {
        return headers;
    }
}
