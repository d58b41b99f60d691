package io.fleetshard.http.auth;

import io.fleetshard.http.ApiProblem;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication and roles of an HTTP component (ADR 0018), the same for the router and the control API. Every request
 * outside the open paths must carry {@code Authorization: Bearer <JWT>}; a missing or invalid token is a 401 with
 * {@code WWW-Authenticate: Bearer ...} and runs nothing. Each route declares the roles that may call it
 * ({@code routes.get(path, handler, roles...)}); a caller of another role, or of a route that declares none (a route
 * added without a decision), gets 403. Handlers read the caller with {@link #caller} and check tenants with
 * {@link #requireTenant}.
 */
public final class Authentication {
    private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);
    private static final String CALLER = "fleetshard.caller";
    private static final String REALM = "fleetshard";

    private Authentication() {
    }

    /** Installs the checks of {@code auth} on a Javalin server being configured. */
    public static void install(JavalinConfig config, AuthConfig auth, Clock clock) {
        install(config, auth, clock, path -> false);
    }

    /**
     * Like {@link #install(JavalinConfig, AuthConfig, Clock)}, and requests whose path {@code publicAsset} accepts are
     * answered without a token, like the open paths: a component's static files that hold no data (the control API's
     * console, ADR 0022), whose own data calls carry the token. The predicate must accept only paths of routes that
     * serve such files: it sees the raw request path, so it should match a strict pattern (no {@code ..}, no
     * {@code %}).
     */
    public static void install(JavalinConfig config, AuthConfig auth, Clock clock,
            java.util.function.Predicate<String> publicAsset) {
        if (!auth.enabled()) {
            LOG.warn("authentication is OFF: every caller acts as admin; never do this where others can connect");
            config.routes.before(ctx -> ctx.attribute(CALLER, Caller.UNAUTHENTICATED));
            return;
        }
        JwtVerifier verifier = JwtVerifier.of(auth, clock);
        Set<String> openPaths = auth.openPaths();
        java.util.function.Predicate<String> open = path -> openPaths.contains(path) || publicAsset.test(path);
        LOG.info("authentication on: {}", auth);
        config.routes.before(ctx -> {
            if (!open.test(ctx.path())) {
                ctx.attribute(CALLER, authenticate(ctx.header("Authorization"), verifier, ctx.method().name(),
                        ctx.path()));
            }
        });
        config.routes.beforeMatched(ctx -> {
            if (open.test(ctx.path())) {
                return;
            }
            Caller caller = ctx.attribute(CALLER);
            Set<RouteRole> allowed = ctx.routeRoles();
            if (allowed.isEmpty() && ctx.method() == io.javalin.http.HandlerType.HEAD) {
                // Javalin answers HEAD of a GET route itself, outside the route and its roles: a 403 would tell an
                // admin it may not; no route serves HEAD, so say that
                throw new ApiProblem(405, "method-not-allowed", "Method not allowed", "HEAD is not served on "
                        + ctx.path() + "; use GET", null, Map.of("Allow", "GET"));
            }
            if (!allowed.contains(caller.role())) {
                throw forbidden(allowed.isEmpty()
                        ? ctx.method() + " " + ctx.path() + " declares no role that may call it"
                        : "role " + caller.role() + " may not call " + ctx.method() + " " + ctx.path() + "; it needs "
                                + allowed.stream().map(Object::toString).sorted().collect(Collectors.joining(" or ")));
            }
        });
    }

    /**
     * The same checks as {@link #install} for one route served outside Javalin (the router's fast lane for
     * {@code POST /v1/query}, ADR 0016): a verified token of one of {@code roles}, else the 401 or 403 problem.
     */
    public static Gate gate(AuthConfig auth, Clock clock, RouteRole... roles) {
        return new Gate(auth.enabled() ? JwtVerifier.of(auth, clock) : null, Set.of(roles));
    }

    /** Admits the callers of one route; see {@link #gate}. */
    public static final class Gate {
        private final JwtVerifier verifier;
        private final Set<RouteRole> allowed;

        private Gate(JwtVerifier verifier, Set<RouteRole> allowed) {
            this.verifier = verifier;
            this.allowed = allowed;
        }

        /** The caller whose {@code Authorization} header this is, if its role may call the route; else a problem. */
        public Caller admit(String authorizationHeader, String method, String path) {
            if (verifier == null) {
                return Caller.UNAUTHENTICATED;
            }
            Caller caller = authenticate(authorizationHeader, verifier, method, path);
            if (!allowed.contains(caller.role())) {
                throw forbidden("role " + caller.role() + " may not call " + method + " " + path + "; it needs "
                        + allowed.stream().map(Object::toString).sorted().collect(Collectors.joining(" or ")));
            }
            return caller;
        }
    }

    /** The verified caller of this request ({@link Caller#UNAUTHENTICATED} when authentication is off). */
    public static Caller caller(Context ctx) {
        Caller c = ctx.attribute(CALLER);
        if (c == null) {
            throw new IllegalStateException(ctx.method() + " " + ctx.path() + " has no caller: it is an open path or"
                    + " Authentication is not installed");
        }
        return c;
    }

    /** 403 unless this request's caller may reach {@code tenantId} (tenant roles: only their own). */
    public static Caller requireTenant(Context ctx, String tenantId) {
        return requireTenant(caller(ctx), tenantId);
    }

    /** 403 unless {@code c} may reach {@code tenantId} (tenant roles: only their own). */
    public static Caller requireTenant(Caller c, String tenantId) {
        if (!c.mayReach(tenantId)) {
            throw forbidden("a " + c.role() + " token of tenant " + c.tenantId() + " may not reach tenant "
                    + tenantId);
        }
        return c;
    }

    /** A 403 problem: the caller is known but may not do this. */
    public static ApiProblem forbidden(String detail) {
        return new ApiProblem(403, "forbidden", "Forbidden", detail, null);
    }

    private static Caller authenticate(String header, JwtVerifier verifier, String method, String path) {
        if (header == null || header.isBlank()) {
            throw unauthorized("this endpoint needs a token: send Authorization: Bearer <JWT>",
                    "Bearer realm=\"" + REALM + "\"");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
            throw unauthorized("the Authorization header must be Bearer <JWT>", challenge("invalid_request",
                    "expected a Bearer token"));
        }
        try {
            return verifier.verify(header.substring(7).strip());
        } catch (InvalidTokenException e) {
            LOG.debug("rejected a token for {} {}: {}", method, path, e.getMessage());
            throw unauthorized("invalid token: " + e.getMessage(), challenge("invalid_token", e.getMessage()));
        } catch (KeySource.KeysUnavailableException e) {
            LOG.warn("cannot check tokens: {}", e.getMessage());
            throw ApiProblem.unavailable("cannot check the token now: " + e.getMessage(), 5);
        }
    }

    private static ApiProblem unauthorized(String detail, String challenge) {
        return new ApiProblem(401, "unauthorized", "Unauthorized", detail, null,
                Map.of("WWW-Authenticate", challenge));
    }

    private static String challenge(String error, String description) {
        // RFC 6750 3: quoted-string values; keep the description to characters that need no escaping
        String d = description.replaceAll("[^\\x20-\\x7E]", "?").replace("\\", "/").replace("\"", "'");
        return "Bearer realm=\"" + REALM + "\", error=\"" + error + "\", error_description=\"" + d + "\"";
    }
}
