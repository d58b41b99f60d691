package io.fleetshard.launcher;

import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.LocalKeyDirectory;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archiver.Archiver;
import io.fleetshard.archiver.ArchiverConfig;
import io.fleetshard.testkit.S3Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.TreeSet;

/** Lane B of {@code fleetshard dev}: the archiver writing every demo shard's log to the embedded S3. */
final class DevArchive implements AutoCloseable {
    static final String BUCKET = "fleetshard-archive";

    private final S3ArchiveStore store;
    private final Archiver archiver;

    private DevArchive(S3ArchiveStore store, Archiver archiver) {
        this.store = store;
        this.archiver = archiver;
    }

    /** The demo tier whose tenants' archived rows are sealed with their own keys (ADR 0025). */
    static final String SEALED_TIER = "platinum";

    /**
     * The dev archive's per-tenant keys: {@code <data>/archive-keys/<tenant>/<version>.key}, created for every demo
     * tenant of {@link #SEALED_TIER} that has none yet; those tenants' records are sealed.
     */
    static ArchiveEncryption devKeys(Path data) {
        Path dir = data.resolve("archive-keys");
        Set<String> sealed = new TreeSet<>();
        for (String[] t : DemoTopology.TENANTS) {
            if (SEALED_TIER.equals(t[1])) {
                sealed.add(t[0]);
                if (!Files.isDirectory(dir.resolve(t[0]))) {
                    LocalKeyDirectory.createKey(dir, t[0]);
                }
            }
        }
        return new ArchiveEncryption(false, sealed, new LocalKeyDirectory(dir));
    }

    static DevArchive start(String bootstrapServers, S3Server s3, ArchiveEncryption encryption) {
        S3ArchiveStore store = new S3ArchiveStore(s3.newClient(), BUCKET);
        store.ensureBucket();
        Archiver archiver = new Archiver(ArchiverConfig.builder(bootstrapServers, "dev-archiver-1")
                .set(ArchiverConfig.Key.BUCKET, BUCKET).set(ArchiverConfig.Key.TOPIC_DISCOVERY_MS, 1000).build(), store,
                encryption, new SimpleMeterRegistry(), Clock.systemUTC());
        archiver.start();
        return new DevArchive(store, archiver);
    }

    S3ArchiveStore store() {
        return store;
    }

    Archiver archiver() {
        return archiver;
    }

    @Override
    public void close() {
        archiver.close();
    }
}
