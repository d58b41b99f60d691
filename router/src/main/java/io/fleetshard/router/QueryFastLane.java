package io.fleetshard.router;

import io.fleetshard.http.ProblemResponses;
import io.fleetshard.http.auth.Authentication;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves {@code POST /v1/query} and {@code POST /v1/query/batch} (ADR 0031) with a body of declared length on Jetty's
 * core API, in front of Javalin's servlet stack (ADR 0016): the hot request skips the servlet request and response
 * wrappers, the session handler, Javalin's routing and its before/after handlers, which cost more CPU than the
 * router's own work. It answers exactly what the Javalin route answers ({@link QueryResponder}, shared with the
 * blocking listener of ADR 0039: {@link QueryEndpoints#answer}, problems through {@link ProblemResponses}, the
 * response counter, after the token and role checks of {@link Authentication.Gate}, ADR 0018); everything else,
 * including a body without a length or over {@code router.max.request.bytes} (Javalin answers those 413 or reads
 * them), goes on to Javalin. Every answer of the main port, whatever handles it, names the blocking listener's port
 * in {@value #QUERY_PORT_HEADER} when the router advertises one (ADR 0042).
 */
final class QueryFastLane extends Handler.Wrapper {
    static final String PATH = "/v1/query";
    /** The header naming the port of the blocking query listener (ADR 0042): a decimal port number. */
    static final String QUERY_PORT_HEADER = "FleetShard-Query-Port";

    private final QueryResponder responder;
    private final long maxRequestBytes;
    private final HttpField queryPortField; // null: nothing advertised

    /** @param advertisedQueryPort the port to name in {@value #QUERY_PORT_HEADER}, or -1 for none */
    QueryFastLane(QueryResponder responder, long maxRequestBytes, int advertisedQueryPort) {
        this.responder = responder;
        this.maxRequestBytes = maxRequestBytes;
        this.queryPortField = advertisedQueryPort < 0 ? null
                : new PreEncodedHttpField(QUERY_PORT_HEADER, Integer.toString(advertisedQueryPort));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (queryPortField != null) {
            response.getHeaders().put(queryPortField);
        }
        long length = request.getLength();
        String path = request.getHttpURI().getPath();
        if (length < 0 || length > maxRequestBytes || !HttpMethod.POST.is(request.getMethod())
                || !(QueryEndpoints.BATCH_PATH.equals(path) || PATH.equals(path))) {
            return super.handle(request, response, callback);
        }
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
            body = in.readNBytes((int) length);
        }
        QueryResponder.Reply reply = responder.reply(path, request.getHeaders().get(HttpHeader.AUTHORIZATION), body);
        response.setStatus(reply.status());
        reply.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
        response.write(true, ByteBuffer.wrap(reply.body()), callback);
        return true;
    }
}
