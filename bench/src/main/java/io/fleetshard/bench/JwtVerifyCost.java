package io.fleetshard.bench;

import io.fleetshard.http.auth.AuthConfig;
import io.fleetshard.http.auth.Authentication;
import io.fleetshard.http.auth.JwtMinter;
import io.fleetshard.http.auth.Role;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU cost of authenticating one router request, on one thread, without HTTP or a database: the router's
 * {@link Authentication.Gate} for {@code POST /v1/query} with an HS256 key, given the same tenant-writer token every
 * time (answered from the verified-token cache, ADR 0020) or a token it has not seen (full verification: base64, two
 * JSON parses, an HMAC-SHA256, the claim checks, and the cache insert).
 *
 * <p>Args: {@code [iterations=200000] [rounds=5]}. Prints ns per request for both, per round.
 */
public final class JwtVerifyCost {
    private JwtVerifyCost() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String secret = "bench-jwt-secret-0123456789abcdef-0123";
        Map<String, String> settings = new HashMap<>();
        for (AuthConfig.Setting s : AuthConfig.settings()) {
            settings.put(s.suffix(), s.defaultValue());
        }
        settings.put(AuthConfig.JWT_SECRET, secret);
        Authentication.Gate gate = Authentication.gate(AuthConfig.of("router.", settings::get), Clock.systemUTC(),
                Role.ADMIN, Role.TENANT_WRITER, Role.TENANT_READER);
        JwtMinter minter = JwtMinter.withDefaults(secret);
        String same = "Bearer " + minter.mint("bench", Role.TENANT_WRITER, "bench", Duration.ofHours(1));
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            String[] fresh = new String[n];
            for (int i = 0; i < n; i++) {
                // distinct subjects: distinct tokens, none in the cache
                fresh[i] = "Bearer " + minter.mint("bench-" + r + "-" + i, Role.TENANT_WRITER, "bench",
                        Duration.ofHours(1));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += gate.admit(same, "POST", "/v1/query").subject().length();
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink += gate.admit(fresh[i], "POST", "/v1/query").subject().length();
            }
            long t2 = System.nanoTime();
            System.out.printf("round %d: same token (cached) %.0f ns/request, unseen token (full check) %.0f"
                    + " ns/request%n", r + 1, (t1 - t0) / (double) n, (t2 - t1) / (double) n);
        }
        System.out.println("(" + sink + ")");
    }
}
