package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The engine-neutral canonical texts (ADR 0047) that both engines' SQL must produce. */
class CanonicalValuesTest {
    @Test
    void writesDoublesAsDigitsAndExponentWhateverTheEnginesFormat() {
        assertThat(CanonicalValues.ofDouble(0.1)).isEqualTo("1e0");
        assertThat(CanonicalValues.ofDouble(0.001)).isEqualTo("1e-2");
        assertThat(CanonicalValues.ofDouble(-1.5e-5)).isEqualTo("-15e-4");
        assertThat(CanonicalValues.ofDouble(1e20)).isEqualTo("1e21");
        assertThat(CanonicalValues.ofDouble(100)).isEqualTo("1e3");
        assertThat(CanonicalValues.ofDouble(123.456)).isEqualTo("123456e3");
        assertThat(CanonicalValues.ofDouble(0.0)).isEqualTo("0");
        assertThat(CanonicalValues.ofDouble(-0.0)).isEqualTo("0");
        assertThatThrownBy(() -> CanonicalValues.ofDouble(Double.NaN)).hasMessageContaining("no canonical text");
    }

    @Test
    void dropsADecimalsTrailingZerosOnly() {
        assertThat(CanonicalValues.ofDecimal(new BigDecimal("1.5000"))).isEqualTo("1.5");
        assertThat(CanonicalValues.ofDecimal(new BigDecimal("100"))).isEqualTo("100");
        assertThat(CanonicalValues.ofDecimal(new BigDecimal("100.00"))).isEqualTo("100");
        assertThat(CanonicalValues.ofDecimal(new BigDecimal("0.000"))).isEqualTo("0");
        assertThat(CanonicalValues.ofDecimal(new BigDecimal("-12.340"))).isEqualTo("-12.34");
    }

    @Test
    void writesTimestampsAsUtcEpochMicrosecondsAndBack() {
        assertThat(CanonicalValues.ofInstant(Instant.parse("1970-01-01T00:00:00.000001Z"))).isEqualTo("1");
        assertThat(CanonicalValues.ofInstant(Instant.parse("1969-12-31T23:59:59.999999Z"))).isEqualTo("-1");
        assertThat(CanonicalValues.timestampText("-1")).isEqualTo("1969-12-31 23:59:59.999999");
        assertThat(CanonicalValues.timestampText(CanonicalValues.ofInstant(Instant.parse("2026-01-01T10:00:00.5Z"))))
                .isEqualTo("2026-01-01 10:00:00.500000");
        assertThatThrownBy(() -> CanonicalValues.timestampText("1' OR '1")).hasMessageContaining("epoch microseconds");
    }

    @Test
    void prefixesTextWithItsLengthSoBarsInValuesCannotCollide() {
        assertThat(CanonicalValues.ofText("a|b")).isEqualTo("3:a|b");
        assertThat(CanonicalValues.ofText("日本")).isEqualTo("2:日本");
        assertThatThrownBy(() -> CanonicalValues.hex("zz")).hasMessageContaining("not lowercase hex");
        assertThatThrownBy(() -> CanonicalValues.date("2026-01-01'")).hasMessageContaining("not a date");
    }
}
