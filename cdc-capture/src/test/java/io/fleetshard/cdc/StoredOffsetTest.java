package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Which stored positions were taken inside the initial snapshot: Debezium 3.5 writes the snapshot's type, which a
 * boolean read took for false, so a capture stopped mid-snapshot was treated as streaming.
 */
class StoredOffsetTest {
    @Test
    void aSnapshotPositionIsOneWithASnapshotTypeOrTrueAndNotCompleted() {
        assertThat(offset("{\"lsn\":1,\"snapshot\":\"INITIAL\",\"last_snapshot_record\":false}").inSnapshot()).isTrue();
        assertThat(offset("{\"file\":\"b.1\",\"pos\":4,\"snapshot\":true}").inSnapshot()).isTrue();
        assertThat(offset("{\"lsn\":1,\"snapshot\":\"INITIAL\",\"snapshot_completed\":true}").inSnapshot()).isFalse();
        assertThat(offset("{\"lsn\":1,\"snapshot\":false}").inSnapshot()).isFalse();
        assertThat(offset("{\"lsn\":1,\"snapshot\":\"\"}").inSnapshot()).isFalse();
        assertThat(offset("{\"lsn\":1,\"txId\":7}").inSnapshot()).isFalse();
        assertThat(StoredOffset.parse("{\"shard\":\"pg-1\"}".getBytes(StandardCharsets.UTF_8)).inSnapshot()).isFalse();
    }

    private static StoredOffset offset(String offsetJson) {
        return StoredOffset.parse(("{\"shard\":\"pg-1\",\"partition\":{\"server\":\"pg-1\"},\"offset\":" + offsetJson
                + ",\"mapVersion\":3,\"writtenAtMs\":1}").getBytes(StandardCharsets.UTF_8));
    }
}
