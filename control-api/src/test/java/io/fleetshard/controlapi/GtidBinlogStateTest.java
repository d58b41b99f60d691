package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GtidBinlogStateTest {
    @Test
    void aNodeWhoseTransactionsThePrimaryHoldsHasNoErrantGtid() {
        // the promoted replica (server 3, domain 3) replicated the old primary's domain 0 up to 0-1-118
        GtidBinlogState primary = GtidBinlogState.parse("0-1-118,3-3-40");
        assertThat(GtidBinlogState.parse("0-1-118").errantAgainst(primary)).isEmpty();
        assertThat(GtidBinlogState.parse("0-1-100").errantAgainst(primary)).as("behind: it catches up").isEmpty();
        assertThat(GtidBinlogState.parse("").errantAgainst(primary)).isEmpty();
        assertThat(GtidBinlogState.parse("0-1-118,3-3-12").errantAgainst(primary)).isEmpty();
    }

    @Test
    void theCrashedPrimarysUnreplicatedLastTransactionsAreErrant() {
        GtidBinlogState primary = GtidBinlogState.parse("0-1-118,3-3-40");
        assertThat(GtidBinlogState.parse("0-1-120").errantAgainst(primary)).containsExactly("0-1-119..0-1-120");
        assertThat(GtidBinlogState.parse("0-1-119").errantAgainst(primary)).containsExactly("0-1-119");
    }

    @Test
    void serversWritingInOneDomainAreToldApartWhereTheDomainsSequenceIsNot() {
        // the returning node wrote 0-3-101 in domain 0; the primary's domain 0 went on to 0-1-150 without it
        GtidBinlogState primary = GtidBinlogState.parse("0-1-150,0-3-100");
        assertThat(GtidBinlogState.parse("0-1-100,0-3-101").errantAgainst(primary)).containsExactly("0-3-101");
        assertThat(GtidBinlogState.parse("0-1-150,0-7-1,7-7-5").errantAgainst(primary)).containsExactly("0-7-1",
                "every transaction of server 7 in domain 7 up to 7-7-5 (the primary has none of them)");
    }

    @Test
    void rejectsWhatIsNotABinlogState() {
        assertThatThrownBy(() -> GtidBinlogState.parse("0-1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a MariaDB GTID (domain-server-sequence): '0-1'");
    }
}
