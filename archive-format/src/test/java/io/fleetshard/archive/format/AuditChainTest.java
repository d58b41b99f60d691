package io.fleetshard.archive.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditChainTest {

    private static List<byte[]> chain(int n) {
        List<byte[]> out = new ArrayList<>();
        String previous = AuditChain.GENESIS;
        for (int i = 0; i < n; i++) {
            byte[] sealed = AuditChain.seal(previous, ("{\"eventId\":\"e" + i + "\",\"after\":{\"x\":1.5}}")
                    .getBytes(StandardCharsets.UTF_8));
            out.add(sealed);
            previous = AuditChain.parse(sealed).orElseThrow().sha256();
        }
        return out;
    }

    private static AuditChain.Walker walk(List<byte[]> records) {
        AuditChain.Walker w = new AuditChain.Walker();
        for (int i = 0; i < records.size(); i++) {
            w.accept("seg", i, records.get(i));
        }
        return w;
    }

    @Test
    void aSealedRecordIsTheEventWithTheChainMemberFirstAndStaysJson() {
        byte[] sealed = AuditChain.seal(AuditChain.GENESIS, " {\"eventId\":\"e1\"}".getBytes(StandardCharsets.UTF_8));
        String text = new String(sealed, StandardCharsets.UTF_8);
        assertThat(text).startsWith("{\"chain\":{\"previous\":\"" + AuditChain.GENESIS + "\",\"sha256\":\"")
                .endsWith("\"},\"eventId\":\"e1\"}");
        AuditChain.Link link = AuditChain.parse(sealed).orElseThrow();
        assertThat(link.intact()).isTrue();
        assertThat(link.sha256()).isEqualTo(AuditChain.hash(AuditChain.GENESIS,
                ",\"eventId\":\"e1\"}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anUntouchedChainWalksToItsHead() {
        List<byte[]> records = chain(5);
        AuditChain.Walker w = walk(records);
        assertThat(w.records()).isEqualTo(5);
        assertThat(w.head()).isEqualTo(AuditChain.parse(records.get(4)).orElseThrow().sha256());
    }

    @Test
    void aChangedRecordIsFoundAtItsOffset() {
        List<byte[]> records = chain(4);
        byte[] changed = new String(records.get(2), StandardCharsets.UTF_8).replace("1.5", "9.5")
                .getBytes(StandardCharsets.UTF_8);
        records.set(2, changed);
        assertThatThrownBy(() -> walk(records)).isInstanceOfSatisfying(ArchiveDefectException.class, e -> {
            assertThat(e.kind()).isEqualTo(ArchiveDefectException.Kind.BROKEN_AUDIT_CHAIN);
            assertThat(e.getMessage()).contains("audit record at offset 2 its content does not match its sha256");
        });
    }

    @Test
    void aRemovedRecordIsFoundAtTheNextOne() {
        List<byte[]> records = chain(4);
        records.remove(1);
        assertThatThrownBy(() -> walk(records)).isInstanceOf(ArchiveDefectException.class)
                .hasMessageContaining("audit record at offset 1 it links to")
                .hasMessageContaining("removed or inserted, or records were reordered");
        List<byte[]> headless = chain(3);
        headless.remove(0);
        assertThatThrownBy(() -> walk(headless)).hasMessageContaining("not the chain's start");
    }

    @Test
    void reorderedRecordsAreFound() {
        List<byte[]> records = chain(4);
        byte[] two = records.get(2);
        records.set(2, records.get(3));
        records.set(3, two);
        assertThatThrownBy(() -> walk(records)).hasMessageContaining("audit record at offset 2 it links to");
    }

    @Test
    void aRecordWithoutTheChainIsNotSealed() {
        List<byte[]> records = chain(2);
        records.add("{\"eventId\":\"forged\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> walk(records)).hasMessageContaining("audit record at offset 2 is not sealed");
        assertThatThrownBy(() -> AuditChain.seal(AuditChain.GENESIS, "{}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AuditChain.seal("abc", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordsWrittenBeforeTheChainAreCountedAndTheChainMustStartAfterThem() {
        List<byte[]> records = new ArrayList<>();
        records.add("{\"eventId\":\"old-1\"}".getBytes(StandardCharsets.UTF_8));
        records.add("{\"eventId\":\"old-2\"}".getBytes(StandardCharsets.UTF_8));
        records.addAll(chain(3));
        AuditChain.Walker w = walk(records);
        assertThat(w.unsealedBefore()).isEqualTo(2);
        assertThat(w.records()).isEqualTo(3);
        // stripping the seal of the first sealed records does not hide a change: the next one links to them
        List<byte[]> stripped = new ArrayList<>(chain(3));
        stripped.set(0, "{\"eventId\":\"e0\",\"after\":{\"x\":9}}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> walk(stripped)).hasMessageContaining("audit record at offset 1 it is the first"
                + " sealed record but links to");
    }
}
