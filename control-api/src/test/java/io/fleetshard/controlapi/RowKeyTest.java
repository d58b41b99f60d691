package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RowKeyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void timestampsBecomeTheSameInstantWhateverTheirSpelling() {
        assertThat(RowKey.text("2026-01-01T00:46:47Z")).isEqualTo("2026-01-01T00:46:47Z");
        assertThat(RowKey.text("2026-01-01 00:46:47+00")).isEqualTo("2026-01-01T00:46:47Z");
        assertThat(RowKey.text("2026-01-01 01:46:47.500+01:00")).isEqualTo("2026-01-01T00:46:47.500Z");
        assertThat(RowKey.text("2026-01-01T02:16:47.123456+0130")).isEqualTo("2026-01-01T00:46:47.123456Z");
        assertThat(RowKey.text("2026-01-01T00:46:47.120")).as("no zone: UTC, as capture writes timestamps")
                .isEqualTo("2026-01-01T00:46:47.120Z");
    }

    @Test
    void otherTextStaysAsItIs() {
        assertThat(RowKey.text("v'11\\x")).isEqualTo("v'11\\x");
        assertThat(RowKey.text("2026-01-01")).isEqualTo("2026-01-01");
        assertThat(RowKey.text("2026-01-01T00:46:47Z trailing")).isEqualTo("2026-01-01T00:46:47Z trailing");
    }

    @Test
    void numbersCompareByValue() throws Exception {
        assertThat(RowKey.ofEvent("t", JSON.readTree("{\"id\":42,\"x\":1.50}")))
                .isEqualTo(RowKey.ofEvent("t", JSON.readTree("{\"id\":42.0,\"x\":1.5}")));
        assertThat(RowKey.ofEvent("t", JSON.readTree("{\"id\":0.0}")).values()).containsExactly("0");
        assertThat(RowKey.ofEvent("t", JSON.readTree("{\"id\":1}")))
                .isNotEqualTo(RowKey.ofEvent("u", JSON.readTree("{\"id\":1}")));
    }
}
