package io.fleetshard.archiver;

import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveException;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.ArchiveStoreUnavailableException;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.ManifestParser;
import io.fleetshard.archive.format.Segment;
import io.fleetshard.archive.format.SegmentCodec;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.Sha256;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.fleetshard.archive.format.TenantKeyException;
import io.fleetshard.archive.format.Watermark;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts one shard's log into segments and manifests (docs/spec/archive.md). Not thread-safe: driven by the archiver's
 * poll thread. The stored manifest chain is its only durable state: {@link #resume()} reads where the last manifest
 * ended, {@link #flush()} writes the buffered events as one segment and then one manifest, each write-once.
 *
 * <p>A write that fails for a retriable reason keeps the buffer and schedules a retry with a doubling backoff (the
 * caller pauses the partition meanwhile, which bounds memory); a manifest seq taken by another archiver makes it drop
 * its buffer and continue after that manifest; a defect stops the shard.
 */
final class ShardSegmenter {
    private static final Logger LOG = LoggerFactory.getLogger(ShardSegmenter.class);

    enum State { RESUMING, ARCHIVING, BACKOFF, GAP, DEFECT }

    /** What the caller must do with the partition after a {@link #flush()} or {@link #resume()}. */
    sealed interface Outcome permits Committed, Seek, Retry, Stopped {
    }

    /** A manifest is durable: commit this offset to the group (informational) and keep consuming. */
    record Committed(long nextOffset) implements Outcome {
    }

    /** Consume from this offset (after a resume, or after another archiver wrote the manifest we meant to). */
    record Seek(long offset) implements Outcome {
    }

    /** Not done yet: pause the partition until {@link #retryDue}. */
    record Retry(long atMs) implements Outcome {
    }

    /** Stopped at a defect or gap: keep the partition paused; an operator must look. */
    record Stopped(String reason) implements Outcome {
    }

    private final ArchiverConfig config;
    private final String shardId;
    private final String topic;
    private final ShardArchivePath path;
    private final ArchiveStore store;
    private final ArchiveReader reader;
    private final ArchiverMetrics metrics;
    private final Clock clock;
    private final ArchiveEncryption encryption;

    private State state = State.RESUMING;
    private StoredManifest last;
    private final List<ArchivedEvent> buffer = new ArrayList<>();
    private long[] commitTs = new long[256];
    private String firstPosition;
    private String lastPosition;
    private long bufferBytes;
    private long firstArrivalMs;
    private long bufferNextOffset;
    private long backoffMs;
    private long retryAtMs;
    private String lastError;
    private long lastManifestMs;
    /** When the newest stored manifest was created (ours or a predecessor's): paces watermark-only manifests. */
    private long lastManifestCreatedMs;
    /** The newest capture watermark read and not yet in a stored manifest (ADR 0048). */
    private Watermark pendingWatermark;
    private long lagRecords = -1;

    ShardSegmenter(ArchiverConfig config, String shardId, String topic, ArchiveStore store, ArchiverMetrics metrics,
                   Clock clock) {
        this(config, shardId, topic, store, metrics, clock, ArchiveEncryption.NONE);
    }

    ShardSegmenter(ArchiverConfig config, String shardId, String topic, ArchiveStore store, ArchiverMetrics metrics,
                   Clock clock, ArchiveEncryption encryption) {
        this.encryption = encryption;
        this.config = config;
        this.shardId = shardId;
        this.topic = topic;
        this.path = new ShardArchivePath(config.tier(), shardId);
        this.store = store;
        this.reader = new ArchiveReader(store, path);
        this.metrics = metrics;
        this.clock = clock;
        this.backoffMs = config.storeBackoffMs();
    }

    String shardId() {
        return shardId;
    }

    State state() {
        return state;
    }

    /**
     * Reads the latest manifest and answers where to consume from; {@code logStart}/{@code logEnd} are the shard
     * log's first and next offsets, to detect records that expired before they were archived and a recreated log.
     */
    Outcome resume(long logStart, long logEnd) {
        try {
            last = reader.latest().orElse(null);
        } catch (ArchiveDefectException e) {
            return stop(State.DEFECT, "defect", e.getMessage());
        } catch (ArchiveException e) {
            return retry("resume", e);
        }
        long next = last == null ? 0 : last.manifest().nextOffset();
        if (next < logStart) {
            return stop(State.GAP, "gap", "shard log " + topic + " starts at offset " + logStart + " but the archive ends at "
                    + next + ": records " + next + ".." + (logStart - 1) + " expired before they were archived. Archiving "
                    + "of this shard stays stopped; restore the missing range or start a new archive (see the archiver README)");
        }
        if (logEnd < next) {
            return stop(State.DEFECT, "defect", "shard log " + topic + " ends at offset " + logEnd + " but manifest "
                    + last.manifest().seq() + " already archives up to " + next + ": was the topic deleted and recreated? "
                    + "Archiving of this shard stays stopped");
        }
        state = State.ARCHIVING;
        lastError = null;
        backoffMs = config.storeBackoffMs();
        bufferNextOffset = next;
        pendingWatermark = null;
        lastManifestCreatedMs = last == null ? 0 : last.manifest().createdMs();
        LOG.info("Shard {}: archiving {} from offset {} (after manifest {})", shardId, topic, next,
                last == null ? "none" : last.manifest().seq());
        return new Seek(next);
    }

    /** Adds one committed shard-log record; the caller flushes when {@link #dueBySize()} says so. */
    void append(long offset, byte[] event, long commitTsMs, String position) {
        if (buffer.isEmpty()) {
            firstArrivalMs = clock.millis();
            firstPosition = position;
        }
        if (buffer.size() == commitTs.length) {
            commitTs = Arrays.copyOf(commitTs, commitTs.length * 2);
        }
        commitTs[buffer.size()] = commitTsMs;
        buffer.add(new ArchivedEvent(offset, event));
        lastPosition = position;
        bufferBytes += event.length;
        bufferNextOffset = offset + 1;
    }

    /**
     * Capture's watermark at {@code offset} (ADR 0048): not archived as an event, carried by the next manifest, which
     * then archives through it; on an idle shard a manifest without segments carries it ({@link #dueByWatermark}).
     */
    void watermark(long offset, String position, long commitTsMs) {
        pendingWatermark = new Watermark(offset, position, commitTsMs);
        bufferNextOffset = Math.max(bufferNextOffset, offset + 1);
    }

    /** The consumer's position moved past transaction markers: the next manifest may say so. */
    void advanceTo(long position) {
        if (!buffer.isEmpty() && position > bufferNextOffset) {
            bufferNextOffset = position;
        }
    }

    /** The offset after the last buffered record: where consuming goes on after a retried write. */
    long consumeFrom() {
        return bufferNextOffset;
    }

    int pending() {
        return buffer.size();
    }

    boolean dueBySize() {
        return state == State.ARCHIVING && bufferBytes >= config.segmentMaxBytes();
    }

    boolean dueByAge(long nowMs) {
        return state == State.ARCHIVING && !buffer.isEmpty() && nowMs - firstArrivalMs >= config.segmentMaxAgeMs();
    }

    /**
     * Nothing buffered but a newer watermark, and the last manifest is at least {@code watermark.interval.ms} old: one
     * small manifest moves the archive's watermark (so an idle shard costs one manifest per interval, not per heartbeat).
     */
    boolean dueByWatermark(long nowMs) {
        return state == State.ARCHIVING && buffer.isEmpty() && pendingWatermark != null
                && config.watermarkIntervalMs() > 0 && nowMs - lastManifestCreatedMs >= config.watermarkIntervalMs();
    }

    boolean retryDue(long nowMs) {
        return state == State.BACKOFF && nowMs >= retryAtMs;
    }

    /** Writes the buffered events as one segment plus one manifest (with the pending watermark, if any). */
    Outcome flush() {
        if (buffer.isEmpty()) {
            return pendingWatermark == null ? new Committed(bufferNextOffset) : writeManifest(List.of(), 0, 0);
        }
        long from = buffer.get(0).offset();
        long to = buffer.get(buffer.size() - 1).offset();
        String key = path.segmentKey(from, to);
        try {
            byte[] bytes = SegmentCodec.encode(shardId, topic, buffer, encryption);
            String sha = Sha256.hex(bytes);
            long length = bytes.length;
            if (store.putIfAbsent(key, bytes) == ArchiveStore.PutOutcome.ALREADY_EXISTS) {
                // An earlier attempt (ours after a crash, or another archiver's) wrote this range: adopt it if it is it.
                byte[] existing = store.get(key).orElseThrow(() -> new ArchiveStoreUnavailableException(
                        "segment " + key + " exists but cannot be read yet", null));
                Segment s = SegmentCodec.decode(key, existing);
                if (s.fromOffset() != from || s.toOffset() != to || s.records() != buffer.size()) {
                    return stop(State.DEFECT, "defect", "segment " + key + " exists with other content ("
                            + s.records() + " records, " + s.fromOffset() + ".." + s.toOffset() + ")");
                }
                sha = Sha256.hex(existing);
                length = existing.length;
            }
            SegmentRef ref = new SegmentRef(key, from, to, buffer.size(), length, sha, firstPosition, lastPosition,
                    commitTs[0], commitTs[buffer.size() - 1]);
            return writeManifest(List.of(ref), buffer.size(), length);
        } catch (ArchiveDefectException e) {
            return stop(State.DEFECT, "defect", e.getMessage());
        } catch (ArchiveException e) {
            return retry("write", e);
        }
    }

    /** The manifest after {@code last}: these segments (possibly none), the pending watermark, the buffer's end. */
    private Outcome writeManifest(List<SegmentRef> refs, int records, long segmentBytes) {
        try {
            long seq = last == null ? 1 : last.manifest().seq() + 1;
            long now = clock.millis();
            Manifest m = new Manifest(shardId, config.tier(), topic, seq, last == null ? null : last.sha256(),
                    refs, bufferNextOffset, now, config.archiverId(), pendingWatermark);
            byte[] manifestBytes = ManifestParser.toBytes(m);
            String manifestKey = path.manifestKey(seq);
            if (store.putIfAbsent(manifestKey, manifestBytes) == ArchiveStore.PutOutcome.ALREADY_EXISTS) {
                metrics.error("conflict");
                LOG.warn("Shard {}: manifest {} was written by another archiver meanwhile; continuing after it", shardId, seq);
                clear();
                state = State.RESUMING;
                last = null;
                return new Retry(clock.millis());
            }
            long durable = clock.millis();
            if (records > 0) {
                metrics.archived(commitTs, records, durable, segmentBytes);
            }
            last = StoredManifest.of(m, manifestKey, manifestBytes);
            lastManifestMs = durable;
            lastManifestCreatedMs = m.createdMs();
            lastError = null;
            backoffMs = config.storeBackoffMs();
            clear();
            return new Committed(m.nextOffset());
        } catch (ArchiveDefectException e) {
            return stop(State.DEFECT, "defect", e.getMessage());
        } catch (ArchiveException e) {
            return retry("write", e);
        }
    }

    private void clear() {
        pendingWatermark = null;
        buffer.clear();
        bufferBytes = 0;
        firstPosition = null;
        lastPosition = null;
        metrics.pendingRecords(0);
    }

    private Outcome retry(String what, ArchiveException e) {
        boolean unavailable = e instanceof ArchiveStoreUnavailableException;
        // A tenant key that cannot seal (missing, disabled): nothing is written in the clear, the events wait (ADR 0025).
        metrics.error(e instanceof TenantKeyException ? "key-unavailable" : unavailable ? "s3-unavailable" : "s3-refused");
        lastError = e.getMessage();
        long wait = backoffMs;
        backoffMs = Math.min(backoffMs * 2, config.storeBackoffMaxMs());
        retryAtMs = clock.millis() + wait;
        if (state != State.RESUMING) {
            state = State.BACKOFF;
        }
        LOG.warn("Shard {}: cannot {} the archive ({}); {} buffered events kept, retrying in {} ms", shardId, what,
                e.getMessage(), buffer.size(), wait);
        return new Retry(retryAtMs);
    }

    /** After a {@link Retry}: whether the pending work is a resume (re-read the chain) or a flush. */
    boolean needsResume() {
        return state == State.RESUMING;
    }

    boolean resumeDue(long nowMs) {
        return state == State.RESUMING && nowMs >= retryAtMs;
    }

    /** A flush can be retried now. */
    void backToArchiving() {
        if (state == State.BACKOFF) {
            state = State.ARCHIVING;
        }
    }

    private Outcome stop(State s, String kind, String reason) {
        state = s;
        lastError = reason;
        metrics.error(kind);
        LOG.error("Shard {}: archiving stopped: {}", shardId, reason);
        return new Stopped(reason);
    }

    void lagRecords(long lag) {
        lagRecords = lag;
        metrics.lagRecords(lag);
    }

    /** The shard moved away: its unwritten buffer is dropped (the next owner re-reads it) and its gauges removed. */
    void discard() {
        clear();
        metrics.remove();
    }

    void reportPending() {
        metrics.pendingRecords(buffer.size());
    }

    Optional<StoredManifest> lastManifest() {
        return Optional.ofNullable(last);
    }

    ShardArchiveStatus status() {
        return new ShardArchiveStatus(shardId, state.name().toLowerCase(Locale.ROOT),
                last == null ? 0 : last.manifest().seq(), last == null ? bufferNextOffset : last.manifest().nextOffset(),
                buffer.size(), lagRecords, lastManifestMs, lastError);
    }
}
