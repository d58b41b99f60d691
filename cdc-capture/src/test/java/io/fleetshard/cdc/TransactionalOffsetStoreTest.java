package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The offsets the engine flushes must be read back: Debezium's PostgreSQL task confirms to the slot what it reads. */
class TransactionalOffsetStoreTest {
    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void servesTheLastFlushedOffsetBackAsAWritableExactSizeBuffer() throws Exception {
        TransactionalOffsetStore store = new TransactionalOffsetStore();
        String key = "[\"fleetshard-cdc-s1\",{\"server\":\"fs_s1\"}]";
        store.set(Map.of(utf8(key), utf8("{\"lsn\":1}")), null).get();
        ByteBuffer callerBuffer = utf8("{\"lsn_commit\":42,\"lsn\":42}");
        boolean[] completed = {false};
        store.set(Map.of(utf8(key), callerBuffer), (error, ignored) -> completed[0] = error == null).get();
        callerBuffer.put(0, (byte) 'X'); // the engine may reuse its buffers

        Map<ByteBuffer, ByteBuffer> read = store.get(List.of(utf8(key), utf8("[\"other\",{}]"))).get();

        assertThat(completed[0]).as("flush callback completed").isTrue();
        assertThat(read).hasSize(1);
        ByteBuffer value = read.get(utf8(key));
        assertThat(value.isReadOnly()).as("OffsetStorageReaderImpl calls array()").isFalse();
        assertThat(new String(value.array(), StandardCharsets.UTF_8)).isEqualTo("{\"lsn_commit\":42,\"lsn\":42}");
    }

    @Test
    void readsNothingBeforeAnyOffsetIsStoredOrFlushed() throws Exception {
        assertThat(new TransactionalOffsetStore().get(List.of(utf8("[\"fleetshard-cdc-s1\",{}]"))).get()).isEmpty();
    }
}
