package io.fleetshard.controlapi;

import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import java.time.Duration;

/** The HS256 secret of the control APIs in these tests and the tokens their clients send (ADR 0018). */
final class TestTokens {
    static final String SECRET = "control-api-tests-jwt-secret-0123456789";
    private static final JwtMinter MINTER = JwtMinter.withDefaults(SECRET);

    private TestTokens() {
    }

    static String admin() {
        return of(Role.ADMIN, null);
    }

    static String of(Role role, String tenant) {
        return MINTER.mint("control-api-tests", role, tenant, Duration.ofHours(1));
    }
}
