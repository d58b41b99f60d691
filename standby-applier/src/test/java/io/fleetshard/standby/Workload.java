package io.fleetshard.standby;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A seeded mix of inserts, updates and deletes of {@code vehicles}, {@code telemetry} and {@code counters}, with the
 * exact expected rows after every event (the model), so a test can ask for the state after any manifest or time.
 * Each manifest also sets counter {@code c1} to its seq: the standby's trigger-fed history proves exactly once.
 * Commit times: manifest {@code s}'s event {@code i} commits at {@code BASE_MS + s * 1000 + i}.
 */
final class Workload {
    static final long BASE_MS = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    static final List<String> TABLES = List.of("counters", "telemetry", "vehicles");

    private final Random random;
    private final Map<String, TreeMap<String, Map<String, Object>>> model = new TreeMap<>();
    private final List<Map<String, TreeMap<String, Map<String, Object>>>> afterManifest = new ArrayList<>();
    private final List<long[]> eventTimes = new ArrayList<>();
    private long seq;
    private long telemetrySeq;

    Workload(long seed) {
        random = new Random(seed);
        TABLES.forEach(t -> model.put(t, new TreeMap<>()));
        afterManifest.add(copy());
    }

    /** The next manifest's changes, applied to the model. */
    List<TestArchive.Change> next(int events) {
        seq++;
        List<TestArchive.Change> out = new ArrayList<>();
        long base = BASE_MS + seq * 1000;
        Map<String, Object> counter = new LinkedHashMap<>();
        counter.put("id", "c1");
        counter.put("n", seq);
        counter.put("price", (seq * 7 % 1000) + "." + String.format("%03d", seq % 1000));
        counter.put("active", seq % 2 == 0);
        counter.put("payload", Base64.getEncoder().encodeToString(new byte[] {(byte) seq, 0, (byte) 0xff, 42}));
        out.add(upsert("counters", counter, List.of("id"), base));
        while (out.size() < events) {
            long ts = base + out.size();
            int dice = random.nextInt(100);
            if (dice < 40) {
                Map<String, Object> row = telemetryRow();
                out.add(upsert("telemetry", row, List.of("tenant_id", "fleet_id", "vehicle_id", "ts"), ts));
            } else if (dice < 70) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("tenant_id", "t" + (1 + random.nextInt(2)));
                row.put("fleet_id", "f" + (1 + random.nextInt(3)));
                row.put("vehicle_id", "v" + random.nextInt(60));
                row.put("vin", random.nextBoolean() ? null : "VIN" + random.nextInt(1_000_000));
                row.put("status", List.of("active", "parked", "service").get(random.nextInt(3)));
                row.put("updated_at", Instant.ofEpochMilli(ts).toString());
                out.add(upsert("vehicles", row, List.of("tenant_id", "fleet_id", "vehicle_id"), ts));
            } else if (dice < 80) {
                delete("vehicles", List.of("tenant_id", "fleet_id", "vehicle_id"), ts).ifPresent(out::add);
            } else if (dice < 90) {
                delete("telemetry", List.of("tenant_id", "fleet_id", "vehicle_id", "ts"), ts).ifPresent(out::add);
            } else {
                TreeMap<String, Map<String, Object>> t = model.get("telemetry");
                if (!t.isEmpty()) {
                    Map<String, Object> row = new LinkedHashMap<>(pick(t));
                    row.put("speed_kph", random.nextInt(800) / 4.0);
                    out.add(upsert("telemetry", row, List.of("tenant_id", "fleet_id", "vehicle_id", "ts"), ts));
                }
            }
        }
        afterManifest.add(copy());
        long[] times = new long[out.size()];
        for (int i = 0; i < times.length; i++) {
            times[i] = out.get(i).commitTsMs();
        }
        eventTimes.add(times);
        return out;
    }

    long seq() {
        return seq;
    }

    /** Expected rows after manifest {@code s} (0: empty). */
    Map<String, TreeMap<String, Map<String, Object>>> after(long s) {
        return afterManifest.get((int) s);
    }

    /** Expected rows after every event with commit time {@code <= t}, replayed from a fresh workload of the same seed. */
    static Map<String, TreeMap<String, Map<String, Object>>> at(long seed, int manifests, int events, long t) {
        Workload w = new Workload(seed);
        Workload replay = new Workload(seed);
        for (int i = 0; i < manifests; i++) {
            for (TestArchive.Change c : w.next(events)) {
                if (c.commitTsMs() <= t) {
                    replay.apply(c);
                }
            }
        }
        return replay.copy();
    }

    private void apply(TestArchive.Change c) {
        String k = key(c.op() == 'd' ? c.key() : c.after(), c.key().keySet().stream().toList());
        if (c.op() == 'd') {
            model.get(c.table()).remove(k);
        } else {
            model.get(c.table()).put(k, c.after());
        }
    }

    private Map<String, Object> telemetryRow() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("tenant_id", "t" + (1 + random.nextInt(2)));
        row.put("fleet_id", "f" + (1 + random.nextInt(3)));
        row.put("vehicle_id", "v" + random.nextInt(60));
        row.put("ts", Instant.ofEpochMilli(BASE_MS - 86_400_000L + (telemetrySeq++) * 250).toString());
        row.put("lat", Math.round(random.nextDouble() * 180_000_000 - 90_000_000) / 1_000_000.0);
        row.put("lon", Math.round(random.nextDouble() * 360_000_000 - 180_000_000) / 1_000_000.0);
        row.put("speed_kph", random.nextInt(800) / 4.0);
        return row;
    }

    private TestArchive.Change upsert(String table, Map<String, Object> row, List<String> pk, long ts) {
        Map<String, Object> key = new LinkedHashMap<>();
        pk.forEach(k -> key.put(k, row.get(k)));
        String k = key(row, pk);
        char op = model.get(table).containsKey(k) ? 'u' : 'c';
        model.get(table).put(k, row);
        return new TestArchive.Change(op, table, key, row, ts);
    }

    private java.util.Optional<TestArchive.Change> delete(String table, List<String> pk, long ts) {
        TreeMap<String, Map<String, Object>> t = model.get(table);
        if (t.isEmpty()) {
            return java.util.Optional.empty();
        }
        Map<String, Object> row = pick(t);
        Map<String, Object> key = new LinkedHashMap<>();
        pk.forEach(k -> key.put(k, row.get(k)));
        t.remove(key(row, pk));
        return java.util.Optional.of(new TestArchive.Change('d', table, key, null, ts));
    }

    private Map<String, Object> pick(TreeMap<String, Map<String, Object>> t) {
        String from = Integer.toString(random.nextInt(1_000_000));
        Map.Entry<String, Map<String, Object>> e = t.ceilingEntry("t" + from);
        return (e == null ? t.firstEntry() : e).getValue();
    }

    private static String key(Map<String, Object> row, List<String> pk) {
        StringBuilder sb = new StringBuilder();
        for (String k : pk) {
            sb.append(row.get(k)).append('\u0001');
        }
        return sb.toString();
    }

    private Map<String, TreeMap<String, Map<String, Object>>> copy() {
        Map<String, TreeMap<String, Map<String, Object>>> c = new TreeMap<>();
        model.forEach((t, rows) -> c.put(t, new TreeMap<>(rows)));
        return c;
    }

    static JsonNode json(Object value) {
        return TestArchive.JSON.valueToTree(value);
    }
}
