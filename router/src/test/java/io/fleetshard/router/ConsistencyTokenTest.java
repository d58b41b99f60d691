package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.http.ApiProblem;
import io.fleetshard.shardmap.Engine;
import org.junit.jupiter.api.Test;

class ConsistencyTokenTest {

    @Test
    void lsnRoundTripsAndOrdersUnsigned() {
        Lsn a = Lsn.parse("16/B374D848");
        assertThat(a.value()).isEqualTo(0x16L << 32 | 0xB374D848L);
        assertThat(a.text()).isEqualTo("16/B374D848");
        assertThat(Lsn.parse("FFFFFFFF/0").covers(Lsn.parse("1/0"))).isTrue();
        assertThat(Lsn.parse("0/10").covers(Lsn.parse("0/11"))).isFalse();
        assertThat(Lsn.parse("0/11").covers(Lsn.parse("0/11"))).isTrue();
        assertThatThrownBy(() -> Lsn.parse("16B374D848")).hasMessageContaining("not a PostgreSQL LSN");
        assertThatThrownBy(() -> Lsn.parse("1/2/3")).hasMessageContaining("not a PostgreSQL LSN");
    }

    @Test
    void gtidPositionCoversPerDomain() {
        GtidPosition replica = GtidPosition.parse("0-1-100,1-2-7");
        assertThat(replica.covers(GtidPosition.parse("0-1-99"))).isTrue();
        assertThat(replica.covers(GtidPosition.parse("0-3-100,1-2-7"))).isTrue();
        assertThat(replica.covers(GtidPosition.parse("0-1-101"))).isFalse();
        assertThat(replica.covers(GtidPosition.parse("2-1-1"))).isFalse();
        assertThat(replica.covers(GtidPosition.parse(""))).isTrue();
        assertThat(GtidPosition.parse("1-2-7, 0-1-100").text()).isEqualTo("0-1-100,1-2-7");
        assertThatThrownBy(() -> GtidPosition.parse("0-1")).hasMessageContaining("not a MariaDB GTID position");
    }

    @Test
    void tokenRoundTripsThroughItsText() {
        ConsistencyToken t = new ConsistencyToken("s-1.eu", Engine.POSTGRES, Lsn.parse("0/3000148"));
        assertThat(t.text()).isEqualTo("s-1.eu@postgres:0/3000148");
        assertThat(ConsistencyToken.parse(t.text())).isEqualTo(t);
        ConsistencyToken m = ConsistencyToken.parse("m1@mariadb:0-1-42");
        assertThat(m.engine()).isEqualTo(Engine.MARIADB);
        assertThat(m.position().text()).isEqualTo("0-1-42");
    }

    @Test
    void unparseableTokensAre400s() {
        for (String bad : new String[] {"", "s1", "@postgres:0/1", "s1@oracle:0/1", "s1@postgres:", "s 1@postgres:0/1",
                "s1@mariadb:x-y-z", "s1@mysql:abc"}) {
            assertThatThrownBy(() -> ConsistencyToken.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.status()).isEqualTo(400));
        }
    }
}
