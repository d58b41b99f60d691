package io.fleetshard.standby;

import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.testkit.S3Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Clock;

/**
 * A standby applier in a JVM of its own, for the SIGKILL test:
 * {@code StandbyApplierMain <s3 endpoint> <bucket> <tier> <shard> <standby jdbc url>}.
 */
public final class StandbyApplierMain {
    private StandbyApplierMain() {
    }

    public static void main(String[] args) throws Exception {
        S3ArchiveStore store = S3ArchiveStore.connect(URI.create(args[0]), "us-east-1", S3Server.ACCESS_KEY,
                S3Server.SECRET_KEY, args[1]);
        StandbyApplierConfig config = StandbyApplierConfig.builder()
                .set(StandbyApplierConfig.Key.POLL_INTERVAL_MS, 20)
                .set(StandbyApplierConfig.Key.BATCH_SIZE, 100).build();
        StandbyApplier applier = new StandbyApplier(config, store, new ShardArchivePath(args[2], args[3]), args[4],
                new SimpleMeterRegistry(), Clock.systemUTC());
        applier.start();
        System.out.println("APPLIER-STARTED " + args[3]);
        Thread.currentThread().join();
    }
}
