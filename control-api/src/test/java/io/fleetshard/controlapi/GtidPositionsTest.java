package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GtidPositionsTest {
    @Test
    void aPositionCoversAnotherWhenNoDomainIsBehind() {
        GtidPositions after = GtidPositions.parse("0-1-105,3-3-89");
        assertThat(after.covers(GtidPositions.parse("0-1-105"))).isTrue();
        assertThat(after.covers(GtidPositions.parse("0-1-100,3-3-89"))).isTrue();
        assertThat(after.covers(GtidPositions.parse("0-1-106"))).isFalse();
        assertThat(after.covers(GtidPositions.parse("0-1-1,4-4-1"))).as("a domain it never saw").isFalse();
        assertThat(GtidPositions.parse("").covers(GtidPositions.EMPTY)).isTrue();
        assertThat(GtidPositions.parse(null)).isEqualTo(GtidPositions.EMPTY);
    }

    @Test
    void theServerIdDoesNotMatterWithinADomain() {
        // a promoted replica continues the domain's sequence under its own server id
        assertThat(GtidPositions.parse("0-3-120").covers(GtidPositions.parse("0-1-119"))).isTrue();
        assertThat(GtidPositions.parse("0-1-42,3-3-8").transactions()).isEqualTo(50);
    }

    @Test
    void rejectsWhatIsNotAGtidPosition() {
        assertThatThrownBy(() -> GtidPositions.parse("0/3000148")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a MariaDB GTID (domain-server-sequence): '0/3000148'");
        assertThatThrownBy(() -> GtidPositions.parse("0-x-1")).isInstanceOf(IllegalArgumentException.class);
    }
}
