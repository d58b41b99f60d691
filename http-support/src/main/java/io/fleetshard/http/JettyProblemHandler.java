package io.fleetshard.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's error handler for what never reaches a route: a request Jetty itself refuses (a path with bad
 * percent-encoding or {@code %00}, an invalid {@code Content-Length}, a head over the size limit: 400, 431) and a
 * failure outside Javalin (an {@link Error} in a Jetty-level handler such as the router's fast lane). Without it Jetty
 * answers these with its HTML page; with it they get the same problem+json as every other error of the API, and a 5xx
 * names no internals.
 */
final class JettyProblemHandler extends ErrorHandler {
    private static final Logger LOG = LoggerFactory.getLogger(JettyProblemHandler.class);

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        String message = request.getAttribute(ERROR_MESSAGE) instanceof String m ? m : null;
        Throwable cause = request.getAttribute(ERROR_EXCEPTION) instanceof Throwable t ? t : null;
        if (cause instanceof HttpException http) {
            status = http.getCode();
            message = message == null ? http.getReason() : message;
        }
        if (status < 400 || status > 599) {
            status = 500;
        }
        response.setStatus(status);
        response.getHeaders().put(ERROR_CACHE_CONTROL);
        if (HttpStatus.hasNoBody(status) || "HEAD".equals(request.getMethod())) {
            callback.succeeded();
            return true;
        }
        ApiProblem problem = problemOf(status, message);
        if (status >= 500) {
            LOG.error("{} {} failed outside the API's handlers: {}", request.getMethod(),
                    request.getHttpURI().getPath(), message, cause);
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, ProblemResponses.CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(ProblemResponses.body(problem).getBytes(StandardCharsets.UTF_8)),
                callback);
        return true;
    }

    /** The problem for an error Jetty raised: its reason as the detail of a 4xx, never anything of a 5xx. */
    static ApiProblem problemOf(int status, String reason) {
        String what = reason == null || reason.isBlank() ? HttpStatus.getMessage(status) : reason;
        return switch (status) {
            case 400 -> ApiProblem.badRequest("the request could not be read: " + what);
            case 413 -> ApiProblem.payloadTooLarge("the request is too large: " + what);
            case 414 -> new ApiProblem(414, "uri-too-long", "URI too long", "the request's URI is too long", null);
            case 431 -> new ApiProblem(431, "header-fields-too-large", "Request header fields too large",
                    "the request's header fields are too large: " + what, null);
            default -> status >= 500
                    ? new ApiProblem(status, "internal", "Internal error", "unexpected failure; see the server log",
                            null)
                    : new ApiProblem(status, "http-" + status, HttpStatus.getMessage(status), what, null);
        };
    }
}
