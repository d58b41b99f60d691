package io.fleetshard.router;

import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import java.time.Duration;

/** The HS256 secret of the routers in these tests and the tokens their clients send (ADR 0018). */
final class TestTokens {
    static final String SECRET = "router-tests-jwt-secret-0123456789abcdef";
    private static final JwtMinter MINTER = JwtMinter.withDefaults(SECRET);

    private TestTokens() {
    }

    /** A router config builder whose tokens are these. */
    static RouterConfig.Builder routerConfig() {
        return RouterConfig.builder().jwtSecret(SECRET);
    }

    static String admin() {
        return of(Role.ADMIN, null);
    }

    static String of(Role role, String tenant) {
        return MINTER.mint("router-tests", role, tenant, Duration.ofHours(1));
    }
}
