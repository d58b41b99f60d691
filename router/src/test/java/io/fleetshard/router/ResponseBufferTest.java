package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The per-thread answer buffer of {@link QueryEndpoints}: reused across answers, but a large answer does not leave a
 * large array behind on the thread (a blocking listener's connection thread lives as long as its connection, ADR 0039).
 */
class ResponseBufferTest {
    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    @Test
    void aLargeAnswerIsHandedOutWholeAndItsArrayIsNotKept() {
        QueryEndpoints.ResponseBuffer buffer = new QueryEndpoints.ResponseBuffer();
        byte[] large = bytes(1 << 20);
        buffer.reset();
        buffer.write(large);
        assertThat(buffer.capacity()).isGreaterThanOrEqualTo(1 << 20);

        byte[] answer = buffer.copy();

        assertThat(answer).isEqualTo(large);
        assertThat(buffer.capacity()).isLessThanOrEqualTo(QueryEndpoints.ResponseBuffer.KEEP_AT_MOST);
        buffer.reset();
        buffer.write(bytes(100));
        assertThat(buffer.copy()).hasSize(100); // still usable, nothing of the large answer left in it
    }

    @Test
    void anAnswerUpToTheBoundKeepsItsArrayForTheNextAnswer() {
        QueryEndpoints.ResponseBuffer buffer = new QueryEndpoints.ResponseBuffer();
        buffer.reset();
        buffer.write(bytes(40_000));
        int grown = buffer.capacity();
        assertThat(buffer.copy()).hasSize(40_000);

        assertThat(buffer.capacity()).isEqualTo(grown).isLessThanOrEqualTo(QueryEndpoints.ResponseBuffer.KEEP_AT_MOST);
        buffer.reset();
        buffer.write(bytes(30_000));
        assertThat(buffer.copy()).hasSize(30_000);
        assertThat(buffer.capacity()).as("reused, not grown again").isEqualTo(grown);
    }

    @Test
    void aLargeAnswerThatFailedHalfWayIsDroppedByTrim() {
        QueryEndpoints.ResponseBuffer buffer = new QueryEndpoints.ResponseBuffer();
        buffer.reset();
        buffer.write(bytes(300_000)); // then the statement failed: no copy, the problem is answered instead

        buffer.trim();

        assertThat(buffer.capacity()).isLessThanOrEqualTo(QueryEndpoints.ResponseBuffer.KEEP_AT_MOST);
        assertThat(buffer.size()).isZero();
    }
}
