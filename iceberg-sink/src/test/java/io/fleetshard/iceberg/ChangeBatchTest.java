package io.fleetshard.iceberg;

import static io.fleetshard.iceberg.Envelopes.VEHICLE_KEY;
import static io.fleetshard.iceberg.Envelopes.envelope;
import static io.fleetshard.iceberg.Envelopes.event;
import static io.fleetshard.iceberg.Envelopes.keyOnly;
import static io.fleetshard.iceberg.Envelopes.vehicle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeBatchTest {
    private final ChangeBatch batch = new ChangeBatch(e -> List.of(e.key().path("vehicle_id").asText()));
    private long offset;

    private void add(String op, ObjectNode before, ObjectNode after) {
        batch.add(event(envelope("vehicles", op, VEHICLE_KEY, before, after, 1_000 + offset), 0, offset++));
    }

    private static ObjectNode v(String id, String status) {
        return vehicle("t1", "f1", id, status);
    }

    private Map<String, String> finalStatuses() {
        return batch.upserts().stream().collect(java.util.stream.Collectors.toMap(
                k -> (String) k.key().get(0), k -> k.last().after().path("status").asText()));
    }

    @Test
    void theLaterEventOfAKeyWins() {
        add("c", null, v("v1", "new"));
        add("u", v("v1", "new"), v("v1", "active"));
        add("u", v("v1", "active"), v("v1", "parked"));

        assertThat(finalStatuses()).isEqualTo(Map.of("v1", "parked"));
        assertThat(batch.events()).hasSize(3);
    }

    @Test
    void aKeyFirstInsertedInTheBatchNeedsNoDeleteButAnUpdatedOneDoes() {
        add("c", null, v("v1", "new"));
        add("u", v("v2", "old"), v("v2", "active"));
        add("r", null, v("v3", "snapshot"));

        assertThat(batch.deletes()).containsExactly(List.of("v2"), List.of("v3"));
        assertThat(finalStatuses()).containsOnlyKeys("v1", "v2", "v3");
    }

    @Test
    void aDeleteThenReInsertDeletesTheOldRowAndKeepsTheNewOne() {
        add("d", keyOnly(v("v1", "x"), VEHICLE_KEY), null);
        add("c", null, v("v1", "reborn"));

        assertThat(batch.deletes()).containsExactly(List.of("v1"));
        assertThat(finalStatuses()).isEqualTo(Map.of("v1", "reborn"));
    }

    @Test
    void anInsertThenDeleteInOneBatchLeavesNothingToWrite() {
        add("c", null, v("v1", "brief"));
        add("d", v("v1", "brief"), null);

        assertThat(batch.upserts()).isEmpty();
        assertThat(batch.deletes()).isEmpty();
        assertThat(batch.events()).hasSize(2);
    }

    @Test
    void anUpdateThenDeleteDeletesTheKey() {
        add("u", v("v1", "a"), v("v1", "b"));
        add("d", v("v1", "b"), null);

        assertThat(batch.upserts()).isEmpty();
        assertThat(batch.deletes()).containsExactly(List.of("v1"));
    }

    @Test
    void recordsTheNextOffsetOfEveryPartition() {
        batch.add(event(envelope("vehicles", "c", VEHICLE_KEY, null, v("a", "s"), 1), 0, 10));
        batch.add(event(envelope("vehicles", "c", VEHICLE_KEY, null, v("b", "s"), 1), 2, 7));
        batch.add(event(envelope("vehicles", "c", VEHICLE_KEY, null, v("c", "s"), 1), 0, 12));

        assertThat(batch.nextOffsets()).isEqualTo(Map.of(0, 13L, 2, 8L));
    }

    @Test
    void rejectsAnEventBehindThePartitionsPosition() {
        batch.add(event(envelope("vehicles", "c", VEHICLE_KEY, null, v("a", "s"), 1), 0, 10));

        assertThatThrownBy(() -> batch.add(event(envelope("vehicles", "c", VEHICLE_KEY, null, v("b", "s"), 1), 0, 9)))
                .hasMessageContaining("fleetshard.cdc.vehicles-0@9 is before the batch's next offset 11");
    }
}
