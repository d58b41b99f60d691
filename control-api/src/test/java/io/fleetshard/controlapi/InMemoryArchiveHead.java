package io.fleetshard.controlapi;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The newest manifests a test scripts, by shard; a shard can instead be scripted to fail. Counts its reads. */
final class InMemoryArchiveHead implements ArchiveHead {
    private final Map<String, LatestManifest> latest = new ConcurrentHashMap<>();
    private final Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
    private final AtomicInteger reads = new AtomicInteger();

    InMemoryArchiveHead put(LatestManifest manifest) {
        failures.remove(manifest.shardId());
        latest.put(manifest.shardId(), manifest);
        return this;
    }

    InMemoryArchiveHead fail(String shardId, RuntimeException failure) {
        latest.remove(shardId);
        failures.put(shardId, failure);
        return this;
    }

    int reads() {
        return reads.get();
    }

    @Override
    public Optional<LatestManifest> latest(String shardId) {
        reads.incrementAndGet();
        RuntimeException failure = failures.get(shardId);
        if (failure != null) {
            throw failure;
        }
        return Optional.ofNullable(latest.get(shardId));
    }
}
