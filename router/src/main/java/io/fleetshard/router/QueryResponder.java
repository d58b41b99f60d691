package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.http.ProblemResponses;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.http.auth.Caller;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answer to {@code POST /v1/query} and {@code POST /v1/query/batch} whichever listener received the request
 * (Jetty's {@link QueryFastLane}, ADR 0016, or the blocking {@link BlockingQueryListener}, ADR 0039): the token and
 * role check ({@link Authentication.Gate}), {@link QueryEndpoints#answer}/{@link QueryEndpoints#answerBatch}, problems
 * through {@link ProblemResponses}, and the response counter. Both listeners therefore answer the same bytes.
 */
final class QueryResponder {
    private final QueryEndpoints query;
    private final Authentication.Gate gate;
    private final RouterMetrics metrics;

    QueryResponder(QueryEndpoints query, Authentication.Gate gate, RouterMetrics metrics) {
        this.query = query;
        this.gate = gate;
        this.metrics = metrics;
    }

    /** A response: status, content type, body, more headers (e.g. {@code WWW-Authenticate}, {@code Retry-After}). */
    record Reply(int status, String contentType, byte[] body, Map<String, String> headers) {
    }

    /**
     * Answers {@code POST path} ({@link QueryFastLane#PATH} or {@link QueryEndpoints#BATCH_PATH}) with {@code body};
     * never throws: a failure is its problem+json answer.
     */
    Reply reply(String path, String authorization, byte[] body) {
        boolean batch = QueryEndpoints.BATCH_PATH.equals(path);
        Reply reply;
        try {
            Caller caller = gate.admit(authorization, "POST", path);
            reply = new Reply(200, QueryEndpoints.JSON_TYPE, batch ? query.answerBatch(body, caller)
                    : query.answer(body, caller), Map.of());
        } catch (Exception e) {
            reply = problem(ProblemResponses.problemOf(e, "POST", path));
        }
        metrics.recordResponse(batch ? RouterMetrics.BATCH : RouterMetrics.QUERY, reply.status());
        return reply;
    }

    /** The problem+json answer of {@code problem}, with its headers. */
    static Reply problem(ApiProblem problem) {
        Map<String, String> headers = new LinkedHashMap<>(problem.headers());
        if (problem.retryAfterSeconds() != null) {
            headers.put("Retry-After", Integer.toString(problem.retryAfterSeconds()));
        }
        return new Reply(problem.status(), ProblemResponses.CONTENT_TYPE,
                ProblemResponses.body(problem).getBytes(StandardCharsets.UTF_8), Map.copyOf(headers));
    }
}
