package io.fleetshard.controlapi;

import io.fleetshard.http.ApiProblem;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The web console (ADR 0022): a dependency-free single-page app, three static files from this module's resources,
 * served under {@code /console} without a token. The files hold no data; every data call the page makes goes to the
 * public {@code /v1/...} endpoints with the operator's token, so the console can do exactly what the token's role may.
 *
 * <p>Only the files listed here are served (no file-system or class-path lookup from the request path), and
 * {@link #isAsset} accepts only their paths' shape, so the open door is as narrow as the route. Each answer carries a
 * Content-Security-Policy that allows scripts, styles and fetches from this origin only (no inline script, no eval),
 * and {@code X-Content-Type-Options: nosniff}.
 */
final class ConsoleRoutes {
    static final String PATH = "/console";
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final String RESOURCES = "fleetshard/control-api/console/";
    /** {@code /console}, {@code /console/} and {@code /console/<name>.<ext>}: no dots, slashes or escapes in the name. */
    private static final Pattern ASSET = Pattern.compile("/console(/|/[a-z][a-z0-9-]{0,40}\\.(html|js|css|svg))?");

    private record Asset(byte[] body, String contentType) {
    }

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    ConsoleRoutes() {
        assets.put("index.html", load("index.html", "text/html; charset=utf-8"));
        assets.put("console.js", load("console.js", "text/javascript; charset=utf-8"));
        assets.put("console.css", load("console.css", "text/css; charset=utf-8"));
        assets.put("favicon.svg", load("favicon.svg", "image/svg+xml"));
    }

    /** True for the request paths of the console's files, which are answered without a token. */
    static boolean isAsset(String path) {
        return ASSET.matcher(path).matches();
    }

    void install(RoutesConfig routes) {
        routes.get(PATH, ctx -> serve(ctx, "index.html"));
        routes.get(PATH + "/{file}", ctx -> serve(ctx, ctx.pathParam("file")));
    }

    private void serve(Context ctx, String name) {
        Asset asset = assets.get(name);
        if (asset == null) {
            throw ApiProblem.notFound("the console has no file " + name + "; open " + PATH);
        }
        ctx.header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("X-Frame-Options", "DENY")
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-cache")
                .contentType(asset.contentType())
                .result(asset.body());
    }

    private static Asset load(String name, String contentType) {
        try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("console file " + RESOURCES + name + " is missing from the class path");
            }
            return new Asset(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
