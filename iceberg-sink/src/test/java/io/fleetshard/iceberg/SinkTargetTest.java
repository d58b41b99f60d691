package io.fleetshard.iceberg;

import static io.fleetshard.iceberg.Envelopes.TELEMETRY_KEY;
import static io.fleetshard.iceberg.Envelopes.VEHICLE_KEY;
import static io.fleetshard.iceberg.Envelopes.envelope;
import static io.fleetshard.iceberg.Envelopes.event;
import static io.fleetshard.iceberg.Envelopes.keyOnly;
import static io.fleetshard.iceberg.Envelopes.telemetry;
import static io.fleetshard.iceberg.Envelopes.vehicle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.inmemory.InMemoryCatalog;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Batches committed to real Iceberg tables on an in-memory catalog and FileIO (Iceberg's own fake): no network. */
class SinkTargetTest {
    private static final String VEHICLES = "fleetshard.cdc.vehicles";
    private static final String TELEMETRY = "fleetshard.cdc.telemetry";
    private InMemoryCatalog catalog;
    private long offset;

    @BeforeEach
    void catalog() {
        catalog = new InMemoryCatalog();
        catalog.initialize("mem", Map.of("warehouse", "mem://warehouse"));
    }

    private SinkTarget target(String table, SinkTarget.Kind kind) {
        SinkTarget t = new SinkTarget(table, "fleetshard.cdc." + table, kind, "fleetshard");
        t.load(catalog);
        t.ensureTable(catalog, null);
        return t;
    }

    private void vehicleChange(SinkTarget t, String op, ObjectNode before, ObjectNode after) {
        ChangeEvent e = event(envelope("vehicles", op, VEHICLE_KEY, before, after, 1_000 + offset), 0, offset++);
        if (t.needs(e)) {
            t.add(e);
        }
    }

    static Map<String, String> rows(Table table, String keyColumn, String valueColumn) {
        table.refresh();
        Map<String, String> out = new TreeMap<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
            for (Record r : it) {
                String key = String.valueOf(r.getField(keyColumn));
                assertThat(out).as("one row per key").doesNotContainKey(key);
                out.put(key, String.valueOf(r.getField(valueColumn)));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    @Test
    void upsertsAndDeletesLeaveTheCurrentRowsAndTheOffsetsInTheSnapshot() {
        SinkTarget t = target("vehicles", SinkTarget.Kind.CURRENT);
        vehicleChange(t, "c", null, vehicle("t1", "f1", "v1", "new"));
        vehicleChange(t, "c", null, vehicle("t1", "f1", "v2", "new"));
        vehicleChange(t, "c", null, vehicle("t2", "f9", "v3", "new"));
        TableCommitter.Committed first = t.commit();
        assertThat(first.deleteFiles()).as("inserts need no deletes").isZero();

        vehicleChange(t, "u", keyOnly(vehicle("t1", "f1", "v1", ""), VEHICLE_KEY), vehicle("t1", "f1", "v1", "active"));
        vehicleChange(t, "d", keyOnly(vehicle("t1", "f1", "v2", ""), VEHICLE_KEY), null);
        vehicleChange(t, "d", vehicle("t2", "f9", "v3", "new"), null);
        vehicleChange(t, "c", null, vehicle("t2", "f9", "v3", "reborn"));
        TableCommitter.Committed second = t.commit();

        Table table = catalog.loadTable(TableIdentifier.of("fleetshard", "vehicles"));
        assertThat(rows(table, "vehicle_id", "status")).isEqualTo(Map.of("v1", "active", "v3", "reborn"));
        Snapshot s = table.currentSnapshot();
        assertThat(s.snapshotId()).isEqualTo(second.snapshotId());
        assertThat(s.summary()).containsEntry("fleetshard.offsets.fleetshard.cdc.vehicles-0", "7")
                .containsEntry("fleetshard.writer", "iceberg-sink").containsEntry("fleetshard.events", "4");
        assertThat(table.spec().fields()).extracting(f -> f.name()).containsExactly("tenant_id");
        assertThat(table.schema().identifierFieldNames()).containsExactlyInAnyOrder("tenant_id", "fleet_id", "vehicle_id");

        SinkTarget restarted = new SinkTarget("vehicles", VEHICLES, SinkTarget.Kind.CURRENT, "fleetshard");
        restarted.load(catalog);
        assertThat(restarted.committed()).isEqualTo(Map.of(0, 7L));
        assertThat(restarted.snapshotId()).isEqualTo(second.snapshotId());
    }

    @Test
    void aPositionPastSkippedRecordsIsCommittedAloneAndSurvivesARestart() {
        SinkTarget t = target("vehicles", SinkTarget.Kind.CURRENT);
        vehicleChange(t, "c", null, vehicle("t1", "f1", "v1", "new"));
        TableCommitter.Committed data = t.commit(Map.of(0, 1L));
        assertThat(t.commit(Map.of(0, 1L))).as("nothing buffered and the position not moved: no snapshot").isNull();

        TableCommitter.Committed skipped = t.commit(Map.of(0, 50L)); // e.g. 49 offload deletes the sink skipped
        assertThat(skipped.snapshotId()).isNotEqualTo(data.snapshotId());
        assertThat(skipped.dataFiles() + skipped.deleteFiles()).isZero();
        Table table = catalog.loadTable(TableIdentifier.of("fleetshard", "vehicles"));
        assertThat(rows(table, "vehicle_id", "status")).isEqualTo(Map.of("v1", "new"));
        assertThat(table.currentSnapshot().summary()).containsEntry("fleetshard.offsets.fleetshard.cdc.vehicles-0", "50")
                .containsEntry("fleetshard.events", "0");

        SinkTarget restarted = new SinkTarget("vehicles", VEHICLES, SinkTarget.Kind.CURRENT, "fleetshard");
        restarted.load(catalog);
        assertThat(restarted.committed()).isEqualTo(Map.of(0, 50L));
    }

    @Test
    void eventsTheTableAlreadyHoldsAreNotAppliedAgain() {
        SinkTarget t = target("vehicles", SinkTarget.Kind.CURRENT);
        vehicleChange(t, "c", null, vehicle("t1", "f1", "v1", "new"));
        t.commit();

        SinkTarget restarted = target("vehicles", SinkTarget.Kind.CURRENT);
        assertThat(restarted.needs(event(envelope("vehicles", "c", VEHICLE_KEY, null, vehicle("t1", "f1", "v1", "x"), 1), 0, 0)))
                .isFalse();
        assertThat(restarted.needs(event(envelope("vehicles", "c", VEHICLE_KEY, null, vehicle("t1", "f1", "v2", "x"), 1), 0, 1)))
                .isTrue();
        assertThat(restarted.needs(event(envelope("vehicles", "c", VEHICLE_KEY, null, vehicle("t1", "f1", "v3", "x"), 1), 1, 0)))
                .as("a partition the table has not seen").isTrue();
    }

    @Test
    void aColumnAddedOnTheShardsAppearsInTheTable() {
        SinkTarget t = target("vehicles", SinkTarget.Kind.CURRENT);
        vehicleChange(t, "c", null, vehicle("t1", "f1", "v1", "new"));
        t.commit();
        ObjectNode withColor = vehicle("t1", "f1", "v2", "new");
        withColor.put("color", "red").put("axles", 3).putNull("not_yet_typed");
        vehicleChange(t, "c", null, withColor);
        t.commit();

        Table table = catalog.loadTable(TableIdentifier.of("fleetshard", "vehicles"));
        assertThat(table.schema().findField("color").type()).isEqualTo(org.apache.iceberg.types.Types.StringType.get());
        assertThat(table.schema().findField("axles").type()).isEqualTo(org.apache.iceberg.types.Types.LongType.get());
        assertThat(table.schema().findField("axles").isOptional()).isTrue();
        assertThat(table.schema().findField("not_yet_typed")).isNull();
        assertThat(rows(table, "vehicle_id", "color")).isEqualTo(Map.of("v1", "null", "v2", "red"));
    }

    @Test
    void telemetryIsPartitionedByTenantAndDayAndInsertsWriteNoDeleteFiles() {
        SinkTarget t = target("telemetry", SinkTarget.Kind.CURRENT);
        for (int i = 0; i < 6; i++) {
            ObjectNode row = telemetry("t" + (i % 2), "f1", "v1", "2026-12-0" + (1 + i % 3) + "T10:00:00Z", i);
            ChangeEvent e = event(envelope("telemetry", "c", TELEMETRY_KEY, null, row, 1), i % 2, i);
            t.add(e);
        }
        TableCommitter.Committed c = t.commit();

        assertThat(c.deleteFiles()).isZero();
        assertThat(c.dataFiles()).as("one file per (tenant, day)").isEqualTo(6);
        Table table = catalog.loadTable(TableIdentifier.of("fleetshard", "telemetry"));
        assertThat(table.spec().fields()).extracting(f -> f.name()).containsExactly("tenant_id", "ts_day");
        assertThat(table.currentSnapshot().summary())
                .containsEntry("fleetshard.offsets." + TELEMETRY + "-0", "5")
                .containsEntry("fleetshard.offsets." + TELEMETRY + "-1", "6");
    }

    @Test
    void theHistoryTableGetsEveryEventWithItsOpAndPosition() {
        SinkTarget t = target("vehicles", SinkTarget.Kind.HISTORY);
        vehicleChange(t, "c", null, vehicle("t1", "f1", "v1", "new"));
        vehicleChange(t, "u", vehicle("t1", "f1", "v1", "new"), vehicle("t1", "f1", "v1", "active"));
        vehicleChange(t, "d", vehicle("t1", "f1", "v1", "active"), null);
        t.commit();

        Table table = catalog.loadTable(TableIdentifier.of("fleetshard", "vehicles_history"));
        List<String> seen = new ArrayList<>();
        try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
            for (Record r : it) {
                seen.add(r.getField("_kafka_offset") + ":" + r.getField("_op") + ":" + r.getField("status"));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(seen).containsExactlyInAnyOrder("0:c:new", "1:u:active", "2:d:active");
        assertThat(table.currentSnapshot().summary()).containsEntry("fleetshard.offsets." + VEHICLES + "-0", "3");
    }

    @Test
    void aValueThatDoesNotFitItsColumnIsADefectNamingThePosition() {
        SinkTarget t = target("telemetry", SinkTarget.Kind.CURRENT);
        ObjectNode row = telemetry("t1", "f1", "v1", "2026-12-01T10:00:00Z", 1);
        row.put("speed_kph", "fast");
        t.add(event(envelope("telemetry", "c", TELEMETRY_KEY, null, row, 1), 0, 17));

        assertThatThrownBy(t::commit).isInstanceOf(DefectiveChangeException.class)
                .hasMessageStartingWith("column speed_kph of the change at fleetshard.cdc.telemetry-0@17: value \"fast\"");
    }

    @Test
    void anEventWithoutItsKeyColumnIsADefect() {
        SinkTarget t = target("vehicles", SinkTarget.Kind.CURRENT);
        ObjectNode env = envelope("vehicles", "c", VEHICLE_KEY, null, vehicle("t1", "f1", "v1", "s"), 1);
        ((ObjectNode) env.get("key")).remove("vehicle_id");

        assertThatThrownBy(() -> t.add(event(env, 0, 3))).isInstanceOf(DefectiveChangeException.class)
                .hasMessageContaining("lacks key column vehicle_id");
    }
}
