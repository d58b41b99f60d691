package io.fleetshard.launcher;

import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archiver.Archiver;
import io.fleetshard.archiver.ArchiverConfig;
import io.fleetshard.testkit.S3Server;

/** Lane B of {@code fleetshard dev}: the archiver writing every demo shard's log to the embedded S3. */
final class DevArchive implements AutoCloseable {
    static final String BUCKET = "fleetshard-archive";

    private final S3ArchiveStore store;
    private final Archiver archiver;

    private DevArchive(S3ArchiveStore store, Archiver archiver) {
        this.store = store;
        this.archiver = archiver;
    }

    static DevArchive start(String bootstrapServers, S3Server s3) {
        S3ArchiveStore store = new S3ArchiveStore(s3.newClient(), BUCKET);
        store.ensureBucket();
        Archiver archiver = new Archiver(ArchiverConfig.builder(bootstrapServers, "dev-archiver-1")
                .set(ArchiverConfig.Key.BUCKET, BUCKET).set(ArchiverConfig.Key.TOPIC_DISCOVERY_MS, 1000).build(), store);
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
