package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FleetTokenTest {

    @Test
    void matchesReferenceMurmur3LowBitsForAsciiAndUnicodeKeys() {
        String[] tenants = {"acme", "t", "tenant-with-a-long-name-0123456789", "ünïcødé", "日本", "emoji\uD83D\uDE9A"};
        String[] fleets = {"f1", "", "fleet.x_y-z", "ß", "a-very-long-fleet-identifier-that-spans-several-blocks"};
        for (String t : tenants) {
            for (String f : fleets) {
                long expected = Hashing.murmur3_128().hashString(t + "/" + f, StandardCharsets.UTF_8).asLong();
                assertThat(FleetToken.of(t, f)).as("token of %s/%s", t, f).isEqualTo(expected);
            }
        }
    }

    @Test
    void matchesReferenceForEveryLengthUpToThreeBlocks() {
        SplittableRandom random = new SplittableRandom(7);
        for (int len = 0; len <= 48; len++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < len; i++) {
                sb.append((char) ('a' + random.nextInt(26)));
            }
            String s = sb.toString();
            assertThat(Murmur3.hash64(s))
                    .isEqualTo(Hashing.murmur3_128().hashString(s, StandardCharsets.UTF_8).asLong());
        }
    }

    @Test
    void asciiFastPathMatchesReferenceForEverySplitOfLengths() {
        SplittableRandom random = new SplittableRandom(11);
        for (int la = 0; la <= 36; la++) {
            for (int lb = 0; lb <= 36; lb++) {
                String t = randomAscii(random, la);
                String f = randomAscii(random, lb);
                long expected = Hashing.murmur3_128().hashString(t + "/" + f, StandardCharsets.UTF_8).asLong();
                assertThat(FleetToken.of(t, f)).as("token of %s/%s", t, f).isEqualTo(expected);
            }
        }
    }

    private static String randomAscii(SplittableRandom random, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            sb.append((char) (0x21 + random.nextInt(0x7f - 0x21)));
        }
        return sb.toString();
    }
}
