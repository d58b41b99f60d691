package io.fleetshard.launcher;

import io.fleetshard.http.OperationalRoutes;
import io.fleetshard.http.ProblemResponses;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.Supplier;

/**
 * {@code /healthz}, {@code /readyz} and {@code /metrics} of a worker that serves no API of its own (capture, archiver,
 * standby applier, stream processors, Iceberg sink) on {@code admin.port}: what the Helm chart's probes and
 * Prometheus scrape annotations point at. Open, like those routes on the router and control API.
 */
final class WorkerAdminServer implements AutoCloseable {
    private final Javalin app;

    private WorkerAdminServer(Javalin app) {
        this.app = app;
    }

    /** @param readiness null when ready, else why not (503 problem+json with that detail) */
    static WorkerAdminServer start(String host, int port, PrometheusMeterRegistry registry, Supplier<String> readiness) {
        Javalin app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            ProblemResponses.install(cfg);
            OperationalRoutes.install(cfg, registry, readiness, null);
        });
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " for /healthz, /readyz and"
                    + " /metrics (" + e.getMessage() + "); set admin.port in the platform file to a free port", e);
        }
        return new WorkerAdminServer(app);
    }

    int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
