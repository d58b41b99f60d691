package io.fleetshard.shardmap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link MapMirror} in memory with the same version rule as the DynamoDB one: a fake for tests. */
public final class InMemoryMapMirror implements MapMirror {
    private final Map<String, MapRecord> items = new ConcurrentHashMap<>();

    @Override
    public void apply(List<MapRecord> records) {
        for (MapRecord r : records) {
            items.merge(r.key(), r, (old, neu) -> neu.version() > old.version() ? neu : old);
        }
    }

    @Override
    public List<MapRecord> readAll() {
        List<MapRecord> out = new ArrayList<>();
        items.values().forEach(r -> {
            if (!r.isTombstone()) {
                out.add(r);
            }
        });
        return out;
    }
}
