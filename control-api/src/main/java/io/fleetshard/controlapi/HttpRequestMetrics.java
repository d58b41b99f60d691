package io.fleetshard.controlapi;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Times every HTTP request into {@code fleetshard.control.http.requests}, tagged by method, route template (never the
 * raw path, so ids do not explode the series count) and status.
 */
final class HttpRequestMetrics {
    private HttpRequestMetrics() {
    }

    static void install(JavalinConfig config, MeterRegistry registry) {
        config.requestLogger.http((ctx, ms) -> Timer.builder("fleetshard.control.http.requests")
                .description("HTTP requests served by the control API")
                .tags("method", ctx.method().name(), "route", route(ctx), "status", Integer.toString(ctx.statusCode()))
                .publishPercentileHistogram()
                .register(registry)
                .record((long) (ms * 1_000_000L), TimeUnit.NANOSECONDS));
    }

    private static String route(Context ctx) {
        try {
            Endpoint e = ctx.endpoints().matchedHttpEndpoint();
            return e == null ? "unmatched" : e.path;
        } catch (RuntimeException e) {
            return "unmatched";
        }
    }
}
