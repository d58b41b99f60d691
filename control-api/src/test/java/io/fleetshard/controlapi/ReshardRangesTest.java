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

    private static ReshardOrchestrator.RangeOfFleet range(String fleet, ReshardTable t, String after, String upTo,
            long rows) {
        return new ReshardOrchestrator.RangeOfFleet(fleet, t,
                new ReshardSql.KeyRange(after == null ? null : List.of(after), upTo == null ? null : List.of(upTo)),
                rows);
    }
}
