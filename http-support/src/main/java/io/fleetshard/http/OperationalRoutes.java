package io.fleetshard.http;

import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/** {@code /healthz}, {@code /readyz}, {@code /metrics} and {@code /openapi.json}, the same on every component. */
public final class OperationalRoutes {
    private OperationalRoutes() {
    }

    /**
     * @param readiness returns null when ready, else the reason it is not (answered as 503 with that detail)
     * @param openApiResource classpath resource of the component's OpenAPI document; null for a worker, which serves
     *                        no API (then there is no {@code /openapi.json})
     */
    public static void install(JavalinConfig config, PrometheusMeterRegistry registry, Supplier<String> readiness,
            String openApiResource) {
        install(config, registry::scrape, readiness, openApiResource);
    }

    /**
     * The same routes, with {@code /metrics} answering what {@code metrics} returns: for a component whose scrape
     * must not run while it re-registers meters (the control API's node gauges).
     *
     * @param metrics the Prometheus exposition text of one scrape
     */
    public static void install(JavalinConfig config, Supplier<String> metrics, Supplier<String> readiness,
            String openApiResource) {
        byte[] openApi = openApiResource == null ? null : load(openApiResource);
        config.routes.get("/healthz", ctx -> ctx.json(java.util.Map.of("status", "up")));
        config.routes.get("/readyz", ctx -> {
            String notReady = readiness.get();
            if (notReady != null) {
                throw ApiProblem.unavailable(notReady, 1);
            }
            ctx.json(java.util.Map.of("status", "ready"));
        });
        config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                .result(metrics.get()));
        if (openApi != null) {
            config.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));
        }
    }

    private static byte[] load(String resource) {
        try (InputStream in = OperationalRoutes.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("OpenAPI document " + resource + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
