package io.fleetshard.http.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.http.ProblemResponses;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The checks as a server installs them: Javalin on a free port, HS256 tokens. */
class AuthenticationTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final JwtMinter minter = JwtMinter.withDefaults(JwtVerifierTest.SECRET);
    private Javalin app;

    private void start(AuthConfig auth) {
        app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            ProblemResponses.install(c);
            Authentication.install(c, auth, Clock.systemUTC());
            c.routes.get("/healthz", ctx -> ctx.result("up"));
            c.routes.get("/v1/things/{tenantId}", ctx -> {
                Authentication.requireTenant(ctx, ctx.pathParam("tenantId"));
                ctx.result(Authentication.caller(ctx).subject());
            }, Role.ADMIN, Role.TENANT_READER);
            c.routes.get("/v1/undecided", ctx -> ctx.result("nobody should see this"));
        }).start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path));
        if (token != null) {
            b.header("Authorization", token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String bearer(Role role, String tenant) {
        return "Bearer " + minter.mint("sam", role, tenant, Duration.ofMinutes(5));
    }

    @Test
    void answers401WithABearerChallengeAndRunsNothing() throws Exception {
        start(AuthConfig.forTests(JwtVerifierTest.SECRET, null));
        HttpResponse<String> none = get("/v1/things/acme", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"fleetshard\"");
        assertThat(none.headers().firstValue("Content-Type")).hasValue(ProblemResponses.CONTENT_TYPE);
        assertThat(none.body()).contains("\"status\":401").contains("Authorization: Bearer");

        HttpResponse<String> basic = get("/v1/things/acme", "Basic YTpi");
        assertThat(basic.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_request\"");
        HttpResponse<String> bad = get("/v1/things/acme", "Bearer not.a.token");
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
        assertThat(get("/v1/nothing-here", null).statusCode()).as("unknown paths do not tell what exists")
                .isEqualTo(401);
    }

    @Test
    void openPathsNeedNoToken() throws Exception {
        start(AuthConfig.forTests(JwtVerifierTest.SECRET, null));
        assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    }

    @Test
    void rolesAndTenantsDecideWithA403() throws Exception {
        start(AuthConfig.forTests(JwtVerifierTest.SECRET, null));
        assertThat(get("/v1/things/acme", bearer(Role.TENANT_READER, "acme")).body()).isEqualTo("sam");
        assertThat(get("/v1/things/acme", bearer(Role.ADMIN, null)).statusCode()).isEqualTo(200);
        HttpResponse<String> other = get("/v1/things/globex", bearer(Role.TENANT_READER, "acme"));
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.body()).contains("token of tenant acme may not reach tenant globex");
        HttpResponse<String> role = get("/v1/things/acme", bearer(Role.OPERATOR, null));
        assertThat(role.statusCode()).isEqualTo(403);
        assertThat(role.body()).contains("role operator may not call GET /v1/things/acme; it needs admin or"
                + " tenant-reader");
    }

    @Test
    void aRouteWithoutRolesIsClosedToEveryone() throws Exception {
        start(AuthConfig.forTests(JwtVerifierTest.SECRET, null));
        HttpResponse<String> r = get("/v1/undecided", bearer(Role.ADMIN, null));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("declares no role");
    }

    @Test
    void headOfAGetRouteIs405WithAllowNotA403() throws Exception {
        start(AuthConfig.forTests(JwtVerifierTest.SECRET, null));
        HttpResponse<Void> head = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                + "/v1/things/acme")).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Authorization", bearer(Role.ADMIN, null)).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(405);
        assertThat(head.headers().firstValue("Allow")).contains("GET");
        HttpResponse<Void> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port()
                + "/v1/things/acme")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    @Test
    void switchedOffEveryoneIsAdmin() throws Exception {
        start(AuthConfig.forTests(null, null).with(AuthConfig.ENABLED, "false"));
        assertThat(get("/v1/things/globex", null).body()).isEqualTo(Caller.UNAUTHENTICATED.subject());
    }
}
