package io.fleetshard.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.ArchiveStoreUnavailableException;
import io.fleetshard.archive.format.ArchiveVerifier;
import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.Manifest;
import io.fleetshard.archive.format.ManifestParser;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShardSegmenterTest {
    private final ArchiverConfig config = ArchiverConfig.builder("k:9092", "a1").set(ArchiverConfig.Key.SEGMENT_MAX_BYTES, 2048).build();
    private final InMemoryArchiveStore memory = new InMemoryArchiveStore();
    private final FlakyStore store = new FlakyStore(memory);
    private final Clock clock = Clock.fixed(Instant.parse("2026-12-02T00:00:00Z"), ZoneOffset.UTC);
    private final ShardArchivePath path = new ShardArchivePath("standard", "pg-1");

    private ShardSegmenter segmenter() {
        return new ShardSegmenter(config, "pg-1", "fleetshard.shardlog.pg-1", store, new ArchiverMetrics(new SimpleMeterRegistry(), "pg-1"), clock);
    }

    private static byte[] event(long i) {
        return ("{\"op\":\"c\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static void append(ShardSegmenter s, long from, long to) {
        for (long i = from; i <= to; i++) {
            s.append(i, event(i), 1_000 + i, "0/" + i);
        }
    }

    @Test
    void aNewArchiveStartsAtOffsetZeroAndEachFlushAddsAChainedManifest() {
        ShardSegmenter s = segmenter();
        assertThat(s.resume(0, 0)).isEqualTo(new ShardSegmenter.Seek(0));
        append(s, 0, 4);
        s.advanceTo(7); // a transaction marker after the last record
        assertThat(s.flush()).isEqualTo(new ShardSegmenter.Committed(7));
        append(s, 7, 9);
        assertThat(s.flush()).isEqualTo(new ShardSegmenter.Committed(10));

        ArchiveVerifier.Report report = ArchiveVerifier.verify(memory, path, m -> { });
        assertThat(report.whole()).isTrue();
        assertThat(report.manifests()).isEqualTo(2);
        assertThat(report.records()).isEqualTo(8);
        Manifest second = new ArchiveReader(memory, path).latest().orElseThrow().manifest();
        assertThat(second.lastSegment().key()).isEqualTo(path.segmentKey(7, 9));
        assertThat(second.lastSegment().firstCommitTsMs()).isEqualTo(1_007);
        assertThat(second.lastSegment().lastPosition()).isEqualTo("0/9");
    }

    @Test
    void aRestartedSegmenterResumesAfterTheLastManifest() {
        ShardSegmenter first = segmenter();
        first.resume(0, 0);
        append(first, 0, 2);
        first.flush();
        append(first, 3, 5); // buffered, never written: the crash loses only what the next owner re-reads
        assertThat(segmenter().resume(0, 6)).isEqualTo(new ShardSegmenter.Seek(3));
    }

    @Test
    void aRetryAfterACrashBetweenSegmentAndManifestAdoptsTheSegmentAlreadyWritten() {
        ShardSegmenter crashed = segmenter();
        crashed.resume(0, 0);
        append(crashed, 0, 2);
        store.failNextManifest = true;
        assertThat(crashed.flush()).isInstanceOf(ShardSegmenter.Retry.class);
        assertThat(memory.get(path.segmentKey(0, 2))).isPresent();

        ShardSegmenter next = segmenter();
        assertThat(next.resume(0, 3)).isEqualTo(new ShardSegmenter.Seek(0));
        append(next, 0, 2);
        assertThat(next.flush()).isEqualTo(new ShardSegmenter.Committed(3));
        assertThat(ArchiveVerifier.verify(memory, path, m -> { }).records()).isEqualTo(3);
    }

    @Test
    void anUnavailableStoreKeepsTheBufferAndRetriesWithBackoff() {
        ShardSegmenter s = segmenter();
        s.resume(0, 0);
        append(s, 0, 2);
        store.down = true;
        ShardSegmenter.Outcome o = s.flush();
        assertThat(o).isInstanceOf(ShardSegmenter.Retry.class);
        assertThat(s.state()).isEqualTo(ShardSegmenter.State.BACKOFF);
        assertThat(s.consumeFrom()).isEqualTo(3);
        assertThat(s.pending()).isEqualTo(3);
        assertThat(s.status().lastError()).contains("unreachable");
        store.down = false;
        s.backToArchiving();
        assertThat(s.flush()).isEqualTo(new ShardSegmenter.Committed(3));
        assertThat(s.pending()).isZero();
    }

    @Test
    void aManifestWrittenByAnotherArchiverMakesThisOneContinueAfterIt() {
        ShardSegmenter a = segmenter();
        ShardSegmenter b = segmenter();
        a.resume(0, 0);
        b.resume(0, 0);
        append(a, 0, 4);
        append(b, 0, 2);
        assertThat(b.flush()).isEqualTo(new ShardSegmenter.Committed(3));
        assertThat(a.flush()).isInstanceOf(ShardSegmenter.Retry.class);
        assertThat(a.needsResume()).isTrue();
        assertThat(a.resume(0, 5)).isEqualTo(new ShardSegmenter.Seek(3));
        append(a, 3, 4);
        assertThat(a.flush()).isEqualTo(new ShardSegmenter.Committed(5));
        ArchiveVerifier.Report report = ArchiveVerifier.verify(memory, path, m -> { });
        assertThat(report.whole()).isTrue();
        assertThat(report.records()).isEqualTo(5);
        assertThat(report.orphanSegments()).containsExactly(path.segmentKey(0, 4));
    }

    @Test
    void recordsThatExpiredBeforeArchivingAreAGapThatStopsTheShard() {
        ShardSegmenter s = segmenter();
        ShardSegmenter.Outcome o = s.resume(100, 200);
        assertThat(o).isInstanceOf(ShardSegmenter.Stopped.class);
        assertThat(((ShardSegmenter.Stopped) o).reason()).contains("records 0..99 expired before they were archived");
        assertThat(s.state()).isEqualTo(ShardSegmenter.State.GAP);
    }

    @Test
    void aShardLogShorterThanTheArchiveIsRefused() {
        ShardSegmenter s = segmenter();
        s.resume(0, 0);
        append(s, 0, 9);
        s.flush();
        ShardSegmenter.Outcome o = segmenter().resume(0, 4);
        assertThat(((ShardSegmenter.Stopped) o).reason()).contains("was the topic deleted and recreated");
    }

    @Test
    void sizeAndAgeBoundsDecideWhenASegmentIsDue() {
        ShardSegmenter s = segmenter();
        s.resume(0, 0);
        assertThat(s.dueByAge(clock.millis() + 10_000)).isFalse();
        append(s, 0, 0);
        assertThat(s.dueBySize()).isFalse();
        assertThat(s.dueByAge(clock.millis() + config.segmentMaxAgeMs() - 1)).isFalse();
        assertThat(s.dueByAge(clock.millis() + config.segmentMaxAgeMs())).isTrue();
        append(s, 1, 300);
        assertThat(s.dueBySize()).isTrue();
    }

    /** The in-memory store with switchable failures, as S3 would fail. */
    static final class FlakyStore implements ArchiveStore {
        private final ArchiveStore delegate;
        volatile boolean down;
        volatile boolean failNextManifest;

        FlakyStore(ArchiveStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public PutOutcome putIfAbsent(String key, byte[] bytes) {
            if (down || (failNextManifest && key.contains("/manifests/"))) {
                failNextManifest = false;
                throw new ArchiveStoreUnavailableException("S3 unreachable (test)", null);
            }
            return delegate.putIfAbsent(key, bytes);
        }

        @Override
        public Optional<byte[]> get(String key) {
            if (down) {
                throw new ArchiveStoreUnavailableException("S3 unreachable (test)", null);
            }
            return delegate.get(key);
        }

        @Override
        public List<StoredObject> list(String prefix, String startAfter, int max) {
            if (down) {
                throw new ArchiveStoreUnavailableException("S3 unreachable (test)", null);
            }
            return delegate.list(prefix, startAfter, max);
        }
    }

    @Test
    void manifestsNameTheirWriter() {
        ShardSegmenter s = segmenter();
        s.resume(0, 0);
        append(s, 0, 0);
        s.flush();
        StoredManifest m = new ArchiveReader(memory, path).latest().orElseThrow();
        assertThat(ManifestParser.parse(m.key(), m.bytes()).writer()).isEqualTo("a1");
    }

    @Test
    void aSealedTenantWithoutAKeyWaitsInBackoffAndNothingIsWrittenInTheClear(@org.junit.jupiter.api.io.TempDir java.nio.file.Path keys) {
        io.fleetshard.archive.format.ArchiveEncryption enc = new io.fleetshard.archive.format.ArchiveEncryption(false,
                java.util.Set.of("acme"), new io.fleetshard.archive.format.LocalKeyDirectory(keys));
        ShardSegmenter s = new ShardSegmenter(config, "pg-1", "fleetshard.shardlog.pg-1", store,
                new ArchiverMetrics(new SimpleMeterRegistry(), "pg-1"), clock, enc);
        s.resume(0, 0);
        s.append(0, "{\"tenant\":\"acme\",\"after\":{\"vin\":\"SECRET\"}}".getBytes(StandardCharsets.UTF_8), 1_000, "0/0");
        assertThat(s.flush()).isInstanceOf(ShardSegmenter.Retry.class);
        assertThat(memory.list(path.segmentsPrefix(), null, 10)).isEmpty();
        assertThat(s.pending()).isEqualTo(1);

        io.fleetshard.archive.format.LocalKeyDirectory.createKey(keys, "acme");
        s.backToArchiving();
        assertThat(s.flush()).isEqualTo(new ShardSegmenter.Committed(1));
        assertThat(ArchiveVerifier.verify(memory, path, m -> { }).whole()).as("verify needs no tenant key").isTrue();
    }

    @Test
    void aWatermarkIsCarriedByTheNextManifestAndNeverArchivedAsAnEvent() {
        ShardSegmenter s = segmenter();
        s.resume(0, 0);
        append(s, 0, 2);
        s.watermark(3, "0/3", 5_000);
        assertThat(s.pending()).as("not an event of the segment").isEqualTo(3);
        assertThat(s.flush()).isEqualTo(new ShardSegmenter.Committed(4));
        Manifest m = new ArchiveReader(memory, path).latest().orElseThrow().manifest();
        assertThat(m.lastSegment().toOffset()).isEqualTo(2);
        assertThat(m.watermark()).isEqualTo(new io.fleetshard.archive.format.Watermark(3, "0/3", 5_000));
        assertThat(m.archivedThroughTsMs()).isEqualTo(5_000);
        assertThat(ArchiveVerifier.verify(memory, path, x -> { }).records()).isEqualTo(3);
    }

    @Test
    void anIdleShardGetsAManifestWithoutSegmentsAtMostOncePerWatermarkInterval() {
        ShardSegmenter s = segmenter();
        s.resume(0, 0);
        long t0 = clock.millis();
        assertThat(s.dueByWatermark(t0 + 60_000)).as("no watermark, nothing to write").isFalse();
        s.watermark(0, "0/A", 7_000);
        assertThat(s.dueByWatermark(t0)).as("no manifest yet: due at once").isTrue();
        assertThat(s.flush()).isEqualTo(new ShardSegmenter.Committed(1));
        Manifest first = new ArchiveReader(memory, path).latest().orElseThrow().manifest();
        assertThat(first.hasSegments()).isFalse();
        assertThat(first.watermark().commitTsMs()).isEqualTo(7_000);

        s.watermark(1, "0/B", 12_000);
        s.watermark(2, "0/C", 17_000);
        assertThat(s.dueByWatermark(t0 + config.watermarkIntervalMs() - 1)).isFalse();
        assertThat(s.dueByWatermark(t0 + config.watermarkIntervalMs())).isTrue();
        assertThat(s.flush()).isEqualTo(new ShardSegmenter.Committed(3));
        Manifest second = new ArchiveReader(memory, path).latest().orElseThrow().manifest();
        assertThat(second.watermark()).as("only the newest watermark").extracting(w -> w.offset()).isEqualTo(2L);
        assertThat(s.dueByWatermark(t0 + 10 * config.watermarkIntervalMs())).as("nothing newer").isFalse();
        assertThat(ArchiveVerifier.verify(memory, path, x -> { }).whole()).isTrue();

        append(s, 3, 3);
        s.watermark(4, "0/D", 20_000);
        assertThat(s.dueByWatermark(t0 + 10 * config.watermarkIntervalMs())).as("events wait for the age bound")
                .isFalse();
    }

    @Test
    void aZeroWatermarkIntervalWritesWatermarksOnlyWithSegments() {
        ArchiverConfig noIdle = ArchiverConfig.builder("k:9092", "a1").set(ArchiverConfig.Key.WATERMARK_INTERVAL_MS, 0)
                .build();
        ShardSegmenter s = new ShardSegmenter(noIdle, "pg-1", "fleetshard.shardlog.pg-1", store,
                new ArchiverMetrics(new SimpleMeterRegistry(), "pg-1"), clock);
        s.resume(0, 0);
        s.watermark(0, "0/A", 7_000);
        assertThat(s.dueByWatermark(clock.millis() + 86_400_000)).isFalse();
    }

    @Test
    void aRestartedSegmenterPacesItsFirstWatermarkManifestByTheStoredOnesCreationTime() {
        ShardSegmenter first = segmenter();
        first.resume(0, 0);
        first.watermark(0, "0/A", 7_000);
        first.flush();
        ShardSegmenter next = segmenter();
        assertThat(next.resume(0, 1)).isEqualTo(new ShardSegmenter.Seek(1));
        next.watermark(1, "0/B", 9_000);
        assertThat(next.dueByWatermark(clock.millis() + 1)).isFalse();
        assertThat(next.dueByWatermark(clock.millis() + config.watermarkIntervalMs())).isTrue();
    }
}
