package io.fleetshard.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that maps failures to HTTP responses: {@link ApiProblem}s, Javalin's own errors (unknown route, wrong
 * method, oversize body), unreadable JSON, and anything unexpected (a 500 whose detail never carries a stack trace).
 */
public final class ProblemResponses {
    public static final String CONTENT_TYPE = "application/problem+json";
    private static final String TYPE_PREFIX = "https://fleetshard.io/problems/";
    private static final Logger LOG = LoggerFactory.getLogger(ProblemResponses.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProblemResponses() {
    }

    public static void install(JavalinConfig config) {
        // a known path with another method is a 405 naming the methods it has (Allow), not a 404
        config.http.prefer405over404 = true;
        // what Jetty refuses before any route (bad URI encoding, bad Content-Length, oversize head) and failures
        // outside Javalin get the same problem+json instead of Jetty's HTML page
        config.jetty.modifyServer(server -> server.setErrorHandler(new JettyProblemHandler()));
        config.router.javaLangErrorHandler((res, error) -> {
            LOG.error("fatal error serving a request", error);
            try {
                res.setStatus(500);
                res.setContentType(CONTENT_TYPE);
                res.getWriter().write(body(JettyProblemHandler.problemOf(500, null)));
            } catch (java.io.IOException | RuntimeException e) {
                error.addSuppressed(e); // the client is gone or the response committed: the 500 status is all it gets
            }
        });
        config.routes.exception(ApiProblem.class, (e, ctx) -> write(ctx, e));
        config.routes.exception(JsonProcessingException.class, (e, ctx) -> write(ctx,
                problemOf(e, ctx.method().name(), ctx.path())));
        config.routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, e.getStatus() == 405
                ? methodNotAllowed(ctx.method().name(), ctx.path(), e.getDetails())
                : fromJavalin(e.getStatus(), e.getMessage())));
        config.routes.exception(Exception.class, (e, ctx) -> write(ctx, problemOf(e, ctx.method().name(),
                ctx.path())));
        config.routes.error(404, "*", ctx -> {
            if (!CONTENT_TYPE.equals(ctx.res().getContentType())) {
                write(ctx, ApiProblem.notFound("no route for " + ctx.method() + " " + ctx.path()));
            }
        });
        config.routes.error(405, "*", ctx -> {
            if (!CONTENT_TYPE.equals(ctx.res().getContentType())) {
                write(ctx, methodNotAllowed(ctx.method().name(), ctx.path(), java.util.Map.of()));
            }
        });
        config.routes.error(413, "*", ctx -> {
            if (!CONTENT_TYPE.equals(ctx.res().getContentType())) {
                write(ctx, ApiProblem.payloadTooLarge("request body exceeds the limit of "
                        + config.http.maxRequestSize + " bytes"));
            }
        });
    }

    /**
     * The 405 of {@code method path}, with {@code Allow} listing the path's methods when Javalin named them (its
     * {@code MethodNotAllowedResponse} details: "availableMethods" or "Available methods", comma-separated).
     */
    private static ApiProblem methodNotAllowed(String method, String path, java.util.Map<String, String> details) {
        String allowed = details.getOrDefault("availableMethods", details.get("Available methods"));
        if (allowed == null || allowed.isBlank()) {
            return new ApiProblem(405, "method-not-allowed", "Method not allowed", method + " is not allowed on "
                    + path, null);
        }
        String allow = String.join(", ", java.util.Arrays.stream(allowed.split(","))
                .map(String::trim).filter(m -> !m.isEmpty()).toList());
        return new ApiProblem(405, "method-not-allowed", "Method not allowed", method + " is not allowed on " + path
                + "; use " + allow, null, java.util.Map.of("Allow", allow));
    }

    private static ApiProblem fromJavalin(int status, String message) {
        return switch (status) {
            case 400 -> ApiProblem.badRequest(message);
            case 404 -> ApiProblem.notFound(message);
            case 413 -> ApiProblem.payloadTooLarge(message);
            default -> new ApiProblem(status < 400 ? 500 : status, "http-" + status, message, message, null);
        };
    }

    /**
     * The problem to answer for a failure of a handler that serves {@code method path} outside Javalin's exception
     * mapping (the same mapping as {@link #install}'s); an unexpected failure is logged here and answered 500.
     */
    public static ApiProblem problemOf(Exception e, String method, String path) {
        if (e instanceof ApiProblem p) {
            return p;
        }
        if (e instanceof JsonProcessingException j) {
            return ApiProblem.badRequest("request body is not valid JSON: " + j.getOriginalMessage());
        }
        if (e instanceof HttpResponseException h) {
            return fromJavalin(h.getStatus(), h.getMessage());
        }
        LOG.error("unexpected error serving {} {}", method, path, e);
        return new ApiProblem(500, "internal", "Internal error",
                "unexpected " + e.getClass().getSimpleName() + "; see the server log", null);
    }

    /** The {@value #CONTENT_TYPE} body of {@code problem}. */
    public static String body(ApiProblem problem) {
        ObjectNode body = JSON.createObjectNode()
                .put("type", TYPE_PREFIX + problem.type())
                .put("title", problem.title())
                .put("status", problem.status())
                .put("detail", problem.detail());
        return body.toString();
    }

    /** Writes {@code problem} as the response. */
    public static void write(Context ctx, ApiProblem problem) {
        problem.headers().forEach(ctx::header);
        if (problem.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Integer.toString(problem.retryAfterSeconds()));
        }
        ctx.status(problem.status()).contentType(CONTENT_TYPE).result(body(problem));
    }
}
