package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "Z", "7", "acme", "trucks-eu.1_b", "a-", "0123456789012345678901234567890123456789012345678901234567890123"})
    void acceptsOneTo64CharactersStartingAlphanumeric(String id) {
        assertThat(Ids.isValid(id)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-a", ".a", "_a", "a b", "a/b", "tenant'", "é", "a\u0000",
        "01234567890123456789012345678901234567890123456789012345678901234"})
    void rejectsEverythingElse(String id) {
        assertThat(Ids.isValid(id)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void rejectsNull() {
        assertThat(Ids.isValid(null)).isFalse();
    }
}
