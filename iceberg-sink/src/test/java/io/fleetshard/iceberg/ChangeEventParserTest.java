package io.fleetshard.iceberg;

import static io.fleetshard.iceberg.Envelopes.VEHICLE_KEY;
import static io.fleetshard.iceberg.Envelopes.envelope;
import static io.fleetshard.iceberg.Envelopes.keyOnly;
import static io.fleetshard.iceberg.Envelopes.vehicle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChangeEventParserTest {
    @Test
    void readsTheEnvelopeOfTheSpec() {
        ObjectNode after = vehicle("t1", "f1", "v7", "active");
        ObjectNode env = envelope("vehicles", "u", VEHICLE_KEY, keyOnly(after, VEHICLE_KEY), after, 1_733_400_000_123L);
        env.put("someFutureField", "ignored");

        ChangeEvent e = ChangeEventParser.parse("fleetshard.cdc.vehicles", 3, 42, Envelopes.bytes(env));

        assertThat(e.op()).isEqualTo(ChangeEvent.Op.UPDATE);
        assertThat(e.table()).isEqualTo("vehicles");
        assertThat(e.tenant()).isEqualTo("t1");
        assertThat(e.fleet()).isEqualTo("f1");
        assertThat(e.shard()).isEqualTo("pg-1");
        assertThat(e.commitTsMs()).isEqualTo(1_733_400_000_123L);
        assertThat(e.key().toString()).isEqualTo("{\"tenant_id\":\"t1\",\"fleet_id\":\"f1\",\"vehicle_id\":\"v7\"}");
        assertThat(e.after().path("status").asText()).isEqualTo("active");
        assertThat(e.position()).isEqualTo("fleetshard.cdc.vehicles-3@42");
    }

    @Test
    void aDeleteCarriesItsKeyAndBeforeImage() {
        ObjectNode before = vehicle("t1", "f1", "v7", "active");
        ChangeEvent e = Envelopes.event(envelope("vehicles", "d", VEHICLE_KEY, before, null, 1), 0, 0);

        assertThat(e.after()).isNull();
        assertThat(e.image()).isEqualTo(before);
    }

    @Test
    void rejectsAnotherEnvelopeVersionNamingThePosition() {
        ObjectNode env = envelope("vehicles", "c", VEHICLE_KEY, null, vehicle("t1", "f1", "v1", "s"), 1);
        env.put("version", 2);

        assertThatThrownBy(() -> ChangeEventParser.parse("fleetshard.cdc.vehicles", 1, 5, Envelopes.bytes(env)))
                .isInstanceOf(DefectiveChangeException.class)
                .hasMessage("change event at fleetshard.cdc.vehicles-1@5 has envelope version 2; this sink reads version 1"
                        + " (docs/spec/change-events.md)");
    }

    @Test
    void rejectsAnInsertWithoutAfterAndNonJson() {
        ObjectNode env = envelope("vehicles", "c", VEHICLE_KEY, null, vehicle("t1", "f1", "v1", "s"), 1);
        env.putNull("after");

        assertThatThrownBy(() -> ChangeEventParser.parse("t", 0, 1, Envelopes.bytes(env)))
                .isInstanceOf(DefectiveChangeException.class).hasMessageContaining("a 'c' event needs an 'after' row");
        assertThatThrownBy(() -> ChangeEventParser.parse("t", 0, 2, "nope".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(DefectiveChangeException.class).hasMessageContaining("t-0@2 is not JSON");
        assertThatThrownBy(() -> ChangeEventParser.parse("t", 0, 3, null))
                .isInstanceOf(DefectiveChangeException.class).hasMessageContaining("has no value");
    }
}
