package io.fleetshard.archive.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** The in-memory fake of {@link ArchiveStore}, for unit tests; {@link #replace} lets a test tamper with an object. */
public final class InMemoryArchiveStore implements ArchiveStore {
    private final ConcurrentSkipListMap<String, byte[]> objects = new ConcurrentSkipListMap<>();

    @Override
    public PutOutcome putIfAbsent(String key, byte[] bytes) {
        return objects.putIfAbsent(key, bytes.clone()) == null ? PutOutcome.CREATED : PutOutcome.ALREADY_EXISTS;
    }

    @Override
    public Optional<byte[]> get(String key) {
        byte[] b = objects.get(key);
        return b == null ? Optional.empty() : Optional.of(b.clone());
    }

    @Override
    public List<StoredObject> list(String prefix, String startAfter, int max) {
        List<StoredObject> out = new ArrayList<>();
        Map<String, byte[]> tail = startAfter == null ? objects.tailMap(prefix, true) : objects.tailMap(startAfter, false);
        for (Map.Entry<String, byte[]> e : tail.entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                if (e.getKey().compareTo(prefix) > 0) {
                    break;
                }
                continue;
            }
            out.add(new StoredObject(e.getKey(), e.getValue().length));
            if (out.size() >= max) {
                break;
            }
        }
        return out;
    }

    /** Test hook: replaces or (with null) removes an object, as an attacker or a broken disk would. */
    public void replace(String key, byte[] bytes) {
        if (bytes == null) {
            objects.remove(key);
        } else {
            objects.put(key, bytes.clone());
        }
    }

    public int size() {
        return objects.size();
    }
}
