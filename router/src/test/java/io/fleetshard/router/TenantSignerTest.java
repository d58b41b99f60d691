package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TenantSignerTest {

    @Test
    void signsWithHexSha256OfSecretColonTenant() {
        // printf '0123456789abcdef-secret:acme' | sha256sum
        assertThat(TenantSigner.sign("0123456789abcdef-secret", "acme"))
                .isEqualTo("e497fab9d035b0782bb9b4dab587e0309840fd861ad87bd111e2b56dffadd42a");
        // UTF-8 bytes of the tenant
        assertThat(TenantSigner.sign("0123456789abcdef-secret", "\u00e9t\u00e9"))
                .isEqualTo("22242189244b3c67a675140b4ef2e35bebfef40505868124ee7abf7226de7f93");
    }

    @Test
    void cachesPerTenant() {
        TenantSigner s = new TenantSigner("0123456789abcdef-secret");
        assertThat(s.signatureOf("acme")).isSameAs(s.signatureOf("acme"));
        assertThat(s.signatureOf("other")).isNotEqualTo(s.signatureOf("acme"));
    }
}
