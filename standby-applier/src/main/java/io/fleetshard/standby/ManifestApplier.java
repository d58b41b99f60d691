package io.fleetshard.standby;

import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.Segment;
import io.fleetshard.archive.format.StoredManifest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Applies one manifest's events, and the position row that records it, in ONE transaction of the standby (ADR 0012):
 * the rows and the position commit together or not at all, so a crash at any point leaves the standby exactly at a
 * manifest boundary and a restart resumes there, applying nothing twice.
 */
final class ManifestApplier {
    /** What one manifest's transaction did; {@code stoppedAtTime} when an event later than the limit ended it early. */
    record Result(long events, StandbyPosition position, boolean stoppedAtTime) {
    }

    private final TableCatalog catalog;
    private final PositionTable positions;
    private final int batchSize;
    private final Clock clock;
    private final Runnable unknownColumn;

    ManifestApplier(TableCatalog catalog, int batchSize, Clock clock, Runnable unknownColumn) {
        this.catalog = catalog;
        this.positions = new PositionTable(catalog.dialect());
        this.batchSize = batchSize;
        this.clock = clock;
        this.unknownColumn = unknownColumn;
    }

    PositionTable positions() {
        return positions;
    }

    /**
     * Applies the events of {@code segments} (already verified against {@code manifest}, in its order) with {@code commitTsMs <=
     * maxCommitTsMs}, stopping at the first later one, and commits. The standby's position must be manifest
     * {@code manifest.seq - 1} (or absent for seq 1), else nothing is applied: another writer moved it.
     */
    Result apply(Connection c, String shardId, StoredManifest manifest, List<Segment> segments, long maxCommitTsMs)
            throws SQLException {
        // parsed as they are applied: a record after the first one past maxCommitTsMs is never looked at
        return applyParsed(c, shardId, manifest, events(manifest, segments), maxCommitTsMs);
    }

    /**
     * The change events of {@code segments} (verified against {@code manifest}, in its order), parsed; a record that
     * cannot be applied is an {@link io.fleetshard.archive.format.ArchiveDefectException} naming its segment.
     */
    static List<ChangeEvent> parse(StoredManifest manifest, List<Segment> segments) {
        List<ChangeEvent> events = new java.util.ArrayList<>();
        events(manifest, segments).forEach(events::add);
        return events;
    }

    /** The events of {@code segments}, each parsed only when the iteration reaches it. */
    private static Iterable<ChangeEvent> events(StoredManifest manifest, List<Segment> segments) {
        return () -> new java.util.Iterator<>() {
            private int segment;
            private java.util.Iterator<ArchivedEvent> inSegment = java.util.Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!inSegment.hasNext() && segment < segments.size()) {
                    inSegment = segments.get(segment++).events().iterator();
                }
                return inSegment.hasNext();
            }

            @Override
            public ChangeEvent next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return ChangeEvent.parse(manifest.manifest().segments().get(segment - 1).key(), inSegment.next());
            }
        };
    }

    /** As {@link #apply}, with the manifest's events already {@link #parse parsed}. */
    Result applyParsed(Connection c, String shardId, StoredManifest manifest, Iterable<ChangeEvent> parsed,
            long maxCommitTsMs) throws SQLException {
        long expectedSeq = manifest.manifest().seq() - 1;
        boolean committed = false;
        try {
            Optional<StandbyPosition> current = positions.lock(c, shardId);
            Optional<String> promotedBy = positions.promotedBy(c, shardId);
            if (promotedBy.isPresent()) {
                throw new StandbyPromotedException("the standby of shard " + shardId + " was promoted to primary ("
                        + promotedBy.get() + "): it takes the application's writes, nothing from the archive is"
                        + " applied to it any more");
            }
            long currentSeq = current.map(StandbyPosition::manifestSeq).orElse(0L);
            if (currentSeq != expectedSeq) {
                throw new StandbyException("the standby's position of shard " + shardId + " is manifest " + currentSeq
                        + ", expected " + expectedSeq + " before applying manifest " + manifest.manifest().seq()
                        + ": another applier or restore writes this standby; run one applier per shard and standby");
            }
            ChangeWriter writer = new ChangeWriter(c, catalog, batchSize, unknownColumn);
            long events = 0;
            boolean stopped = false;
            String lastPosition = current.map(StandbyPosition::lastPosition).orElse("");
            long lastCommitTsMs = current.map(StandbyPosition::lastCommitTsMs).orElse(0L);
            try {
                for (ChangeEvent e : parsed) {
                    if (e.commitTsMs() > maxCommitTsMs) {
                        stopped = true;
                        break;
                    }
                    writer.apply(e);
                    events++;
                    lastPosition = e.position();
                    lastCommitTsMs = e.commitTsMs();
                }
                writer.flush();
            } finally {
                writer.close();
            }
            StandbyPosition next;
            long watermarkTsMs = current.map(StandbyPosition::watermarkTsMs).orElse(0L);
            if (!stopped) {
                // The whole manifest is applied: so is everything committed before its watermark (ADR 0048).
                if (manifest.manifest().watermark() != null) {
                    watermarkTsMs = Math.max(watermarkTsMs, manifest.manifest().watermark().commitTsMs());
                }
                next = new StandbyPosition(shardId, manifest.manifest().seq(), manifest.sha256(),
                        manifest.manifest().nextOffset(), lastPosition, lastCommitTsMs, clock.millis(), watermarkTsMs);
            } else if (events > 0) {
                // part of a manifest (a restore to a time inside it): the position stays at the last whole manifest
                StandbyPosition base = current.orElse(new StandbyPosition(shardId, 0, StandbyPosition.NO_MANIFEST_SHA, 0, "", 0, 0));
                next = new StandbyPosition(shardId, base.manifestSeq(), base.manifestSha256(), base.nextOffset(), lastPosition,
                        lastCommitTsMs, clock.millis(), watermarkTsMs);
            } else {
                c.rollback();
                committed = true;
                return new Result(0, current.orElse(null), true);
            }
            positions.write(c, next, current.isPresent());
            c.commit();
            committed = true;
            return new Result(events, next, stopped);
        } finally {
            if (!committed) {
                rollbackQuietly(c);
            }
        }
    }

    static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException ignored) {
            // the connection is broken; the transaction dies with it
        }
    }
}
