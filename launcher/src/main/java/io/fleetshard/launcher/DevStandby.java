package io.fleetshard.launcher;

import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.router.FleetSchema;
import io.fleetshard.standby.StandbyApplier;
import io.fleetshard.standby.StandbyApplierConfig;
import io.fleetshard.standby.StandbyStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The warm standbys of {@code fleetshard dev}: one standby applier per demo shard, replaying the shard's S3 archive
 * into its standby server in {@link DemoTopology#STANDBY_REGION}, with a base snapshot every 50 manifests or every minute with new changes.
 */
final class DevStandby implements AutoCloseable {
    private final List<StandbyApplier> appliers;

    private DevStandby(List<StandbyApplier> appliers) {
        this.appliers = appliers;
    }

    /** {@code standbyAdminUrls}: by shard id, a URL whose user bypasses row-level security (the server's superuser). */
    static DevStandby start(ArchiveStore store, Map<String, String> standbyAdminUrls, ArchiveEncryption encryption) {
        StandbyApplierConfig config = StandbyApplierConfig.builder()
                .set(StandbyApplierConfig.Key.SNAPSHOT_EVERY_MANIFESTS, 50)
                .set(StandbyApplierConfig.Key.SNAPSHOT_EVERY_MS, 60_000) // so fleetshard restore works a minute in
                // a caught-up standby lists its archive once a second, not five times (ADR 0052); the dev standbys are
                // servers of their own (the idle lag grew with it only where a standby shared its primary's server)
                .set(StandbyApplierConfig.Key.POLL_IDLE_MAX_MS, 1_000)
                // the router's prober and the control API's monitor read the position as the app role
                .set(StandbyApplierConfig.Key.POSITION_READERS, FleetSchema.DEFAULT_APP_ROLE).build();
        List<StandbyApplier> appliers = new ArrayList<>();
        standbyAdminUrls.forEach((shard, url) -> {
            StandbyApplier a = new StandbyApplier(config, store, encryption, new ShardArchivePath("standard", shard), url,
                    new SimpleMeterRegistry(), Clock.systemUTC());
            a.start();
            appliers.add(a);
        });
        return new DevStandby(appliers);
    }

    Map<String, StandbyStatus> status() {
        Map<String, StandbyStatus> out = new TreeMap<>();
        appliers.forEach(a -> out.put(a.shardId(), a.status()));
        return out;
    }

    @Override
    public void close() {
        appliers.forEach(StandbyApplier::close);
    }
}
