package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation's ranges joined from the copy's: consecutive ranges of one fleet and table only, up to the row limit. */
class ReshardRangesTest {
    private static final ReshardTable TELEMETRY = new ReshardTable("telemetry",
            List.of("tenant_id", "fleet_id", "vehicle_id"), List.of("tenant_id", "fleet_id", "vehicle_id"));
    private static final ReshardTable VEHICLES = new ReshardTable("vehicles",
            List.of("tenant_id", "fleet_id", "id"), List.of("tenant_id", "fleet_id", "id"));

    @Test
    void joinsConsecutiveRangesOfOneFleetAndTableUpToTheRowLimit() {
        List<ReshardOrchestrator.RangeOfFleet> copy = List.of(
                range("acme/a", TELEMETRY, null, "'v1'", 5), range("acme/a", TELEMETRY, "'v1'", "'v2'", 5),
                range("acme/a", TELEMETRY, "'v2'", "'v3'", 5), range("acme/a", TELEMETRY, "'v3'", null, 2),
                range("acme/a", VEHICLES, null, null, 3),
                range("acme/b", VEHICLES, null, null, 4));

        List<ReshardOrchestrator.RangeOfFleet> joined = ReshardOrchestrator.joined(copy, 10);

        assertThat(joined).containsExactly(
                range("acme/a", TELEMETRY, null, "'v2'", 10), range("acme/a", TELEMETRY, "'v2'", null, 7),
                range("acme/a", VEHICLES, null, null, 3), range("acme/b", VEHICLES, null, null, 4));
        assertThat(ReshardOrchestrator.joined(copy, 1)).isEqualTo(copy);
        assertThat(ReshardOrchestrator.joined(List.of(), 10)).isEmpty();
    }

    @Test
    void joinsIntoRangesOfAboutEqualSizeSoNoSmallRangeIsLeftOver() {
        // the copy's 41 ranges of a fleet of 201,234 rows (40 x 5,000 and the rest) joined up to 50,000 rows: greedy
        // joining left 4 x 50,000 and a fifth of 1,234 rows, which costs about a full range's time (its checksum reads
        // most of the fleet's pages) but counts for under 1 % of the rows in the ETA
        List<ReshardOrchestrator.RangeOfFleet> copy = new java.util.ArrayList<>();
        for (int i = 0; i < 41; i++) {
            copy.add(range("acme/a", TELEMETRY, i == 0 ? null : "'v" + i + "'", i == 40 ? null : "'v" + (i + 1) + "'",
                    i == 40 ? 1_234 : 5_000));
        }

        List<ReshardOrchestrator.RangeOfFleet> joined = ReshardOrchestrator.joined(copy, 50_000);

        assertThat(joined).extracting(ReshardOrchestrator.RangeOfFleet::rows)
                .containsExactly(40_000L, 40_000L, 40_000L, 40_000L, 41_234L);
        for (int i = 1; i < joined.size(); i++) { // still every key once: each range starts where the one before ends
            assertThat(joined.get(i).range().after()).isEqualTo(joined.get(i - 1).range().upTo());
        }
        assertThat(joined.get(0).range().after()).isNull();
        assertThat(joined.get(joined.size() - 1).range().upTo()).isNull();
    }

    private static ReshardOrchestrator.RangeOfFleet range(String fleet, ReshardTable t, String after, String upTo,
            long rows) {
        return new ReshardOrchestrator.RangeOfFleet(fleet, t,
                new ReshardSql.KeyRange(after == null ? null : List.of(after), upTo == null ? null : List.of(upTo)),
                rows);
    }

    @Test
    void copyWorkersMarkerSlotsAreTheirOwnAcrossJobsAndNeverADeltaSyncsOrAJobsSlot() {
        java.util.Map<Integer, String> owner = new java.util.HashMap<>();
        for (int n = 0; n < 5_000; n++) {
            String job = "rs-20261207-" + n;
            int jobSlot = ReshardSql.slotOf(job);
            assertThat(jobSlot).isBetween(1, 499);
            for (int w = 1; w <= 8; w++) {
                int slot = ReshardSql.copySlotOf(job, w);
                assertThat(slot).as("above the jobs' 1-499 and the delta syncs' 1000-1999").isBetween(2001, 5992);
                String was = owner.putIfAbsent(slot, jobSlot + "/" + w);
                assertThat(was == null || was.equals(jobSlot + "/" + w)).as("slot %d of %s/%d and %s", slot, jobSlot, w,
                        was).isTrue();
            }
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ReshardSql.copySlotOf("j", 9))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
