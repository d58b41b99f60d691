package io.fleetshard.standby;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.InMemoryArchiveStore;
import io.fleetshard.archive.format.Segment;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChangeEventTest {

    @Test
    void theTestArchiveWritesAChainTheReaderVerifies() {
        InMemoryArchiveStore store = new InMemoryArchiveStore();
        ShardArchivePath path = new ShardArchivePath("standard", "s1");
        TestArchive archive = new TestArchive(store, path);
        Workload w = new Workload(1);
        archive.append(w.next(10), 2);
        archive.append(w.next(10), 3);
        ArchiveReader reader = new ArchiveReader(store, path);
        StoredManifest first = reader.next(null).orElseThrow();
        StoredManifest second = reader.next(first).orElseThrow();
        assertThat(reader.next(second)).isEmpty();
        Segment s = reader.segment(second.manifest().segments().get(0));
        ChangeEvent e = ChangeEvent.parse("k", s.events().get(0));
        assertThat(e.table()).isEqualTo("counters");
        assertThat(e.after().path("n").asLong()).isEqualTo(2);
        assertThat(e.commitTsMs()).isEqualTo(Workload.BASE_MS + 2000);
    }

    @Test
    void anEnvelopeThatCannotBeAppliedIsADefectOfItsSegment() {
        ArchivedEvent bad = new ArchivedEvent(7, "{\"op\":\"x\",\"table\":\"vehicles\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ChangeEvent.parse("std/s1/segments/a.jsonl.gz", bad))
                .isInstanceOf(ArchiveDefectException.class)
                .hasMessageContaining("std/s1/segments/a.jsonl.gz")
                .hasMessageContaining("the event at offset 7 has op 'x'");
        ArchivedEvent noAfter = new ArchivedEvent(8, "{\"op\":\"u\",\"table\":\"vehicles\",\"after\":null,\"commitTsMs\":1}"
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ChangeEvent.parse("k", noAfter)).hasMessageContaining("is a 'u' event without after");
    }

    @Test
    void applierStatesMoveOnlyAlongAllowedTransitions() {
        assertThat(ApplierState.NEW.canMoveTo(ApplierState.STARTING)).isTrue();
        assertThat(ApplierState.DEFECT.canMoveTo(ApplierState.APPLYING)).isFalse();
        assertThat(ApplierState.DEFECT.canMoveTo(ApplierState.STOPPED)).isTrue();
        assertThat(ApplierState.STOPPED.canMoveTo(ApplierState.STARTING)).isFalse();
    }
}
