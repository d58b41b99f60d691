package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PgLsnTest {

    @Test
    void parsesHighAndLowHalves() {
        assertThat(PgLsn.parse("16/B374D848").value()).isEqualTo(0x16_B374D848L);
        assertThat(PgLsn.parse("0/0").value()).isZero();
        assertThat(PgLsn.parse("FFFFFFFF/FFFFFFFF").value()).isEqualTo(-1L);
        assertThat(PgLsn.parse("16/B374D848")).hasToString("16/B374D848");
    }

    @Test
    void bytesAfterIsTheWalDistanceAndNeverNegative() {
        PgLsn replica = PgLsn.parse("1/FFFFFF00");
        PgLsn primary = PgLsn.parse("2/100");
        assertThat(primary.bytesAfter(replica)).isEqualTo(0x200);
        assertThat(replica.bytesAfter(primary)).isZero();
        assertThat(primary).isGreaterThan(replica);
    }

    @Test
    void rejectsWhatIsNotAnLsn() {
        for (String bad : new String[] {"", "16", "/1", "1/", "x/1", "123456789/0", "1/2/3"}) {
            assertThatThrownBy(() -> PgLsn.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a PostgreSQL LSN");
        }
        assertThatThrownBy(() -> PgLsn.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
