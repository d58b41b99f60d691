package io.fleetshard.router;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.http.ProblemResponses;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.http.auth.Caller;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves {@code POST /v1/query} and {@code POST /v1/query/batch} (ADR 0031) with a body of declared length on Jetty's core API, in front of Javalin's servlet
 * stack (ADR 0016): the hot request skips the servlet request and response wrappers, the session handler, Javalin's
 * routing and its before/after handlers, which cost more CPU than the router's own work. It answers exactly what the
 * Javalin route answers ({@link QueryEndpoints#answer}, problems through {@link ProblemResponses}, the response
 * counter) after the same token and role checks ({@link Authentication.Gate}, ADR 0018); everything else, including a body without a length or over {@code router.max.request.bytes} (Javalin
 * answers those 413 or reads them), goes on to Javalin.
 */
final class QueryFastLane extends Handler.Wrapper {
    static final String PATH = "/v1/query";
    private static final String JSON_CONTENT_TYPE = QueryEndpoints.JSON_TYPE;

    private final QueryEndpoints query;
    private final Authentication.Gate gate;
    private final RouterMetrics metrics;
    private final long maxRequestBytes;

    QueryFastLane(QueryEndpoints query, Authentication.Gate gate, RouterMetrics metrics, long maxRequestBytes) {
        this.query = query;
        this.gate = gate;
        this.metrics = metrics;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long length = request.getLength();
        String path = request.getHttpURI().getPath();
        boolean batch = QueryEndpoints.BATCH_PATH.equals(path);
        if (length < 0 || length > maxRequestBytes || !HttpMethod.POST.is(request.getMethod())
                || !(batch || PATH.equals(path))) {
            return super.handle(request, response, callback);
        }
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
            body = in.readNBytes((int) length);
        }
        int status;
        byte[] answer;
        String contentType;
        try {
            Caller caller = gate.admit(request.getHeaders().get(HttpHeader.AUTHORIZATION), request.getMethod(), path);
            answer = batch ? query.answerBatch(body, caller) : query.answer(body, caller);
            status = 200;
            contentType = JSON_CONTENT_TYPE;
        } catch (Exception e) {
            ApiProblem problem = ProblemResponses.problemOf(e, request.getMethod(), path);
            status = problem.status();
            answer = ProblemResponses.body(problem).getBytes(StandardCharsets.UTF_8);
            contentType = ProblemResponses.CONTENT_TYPE;
            problem.headers().forEach((name, value) -> response.getHeaders().put(name, value));
            if (problem.retryAfterSeconds() != null) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, problem.retryAfterSeconds());
            }
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
        metrics.recordResponse(batch ? RouterMetrics.BATCH : RouterMetrics.QUERY, status);
        response.write(true, ByteBuffer.wrap(answer), callback);
        return true;
    }
}
