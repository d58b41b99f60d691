package io.fleetshard.shardmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HashRingTest {
    private static final int FLEETS = 100_000;

    private static Shard shard(String id) {
        return Shard.withDefaultTokens(id, ShardStatus.ACTIVE, Engine.POSTGRES, Shard.DEFAULT_VNODES);
    }

    private static long[] randomFleetTokens() {
        SplittableRandom random = new SplittableRandom(42);
        long[] tokens = new long[FLEETS];
        for (int i = 0; i < FLEETS; i++) {
            tokens[i] = FleetToken.of("tenant-" + random.nextInt(1000), "fleet-" + Long.toHexString(random.nextLong()));
        }
        return tokens;
    }

    @Test
    void threeShardsOf256VnodesEachHoldAThirdOfRandomFleetsWithinFivePoints() {
        HashRing ring = HashRing.of(List.of(shard("s1"), shard("s2"), shard("s3")));
        Map<String, Integer> counts = new HashMap<>();
        for (long token : randomFleetTokens()) {
            counts.merge(ring.shardFor(token), 1, Integer::sum);
        }
        assertThat(counts).containsOnlyKeys("s1", "s2", "s3");
        counts.forEach((shard, n) -> assertThat(n / (double) FLEETS).as("share of %s", shard)
                .isBetween(1 / 3.0 - 0.05, 1 / 3.0 + 0.05));
    }

    @Test
    void addingAFourthShardMovesAQuarterOfFleetsAllToTheNewShard() {
        HashRing before = HashRing.of(List.of(shard("s1"), shard("s2"), shard("s3")));
        HashRing after = HashRing.of(List.of(shard("s1"), shard("s2"), shard("s3"), shard("s4")));
        int moved = 0;
        for (long token : randomFleetTokens()) {
            String was = before.shardFor(token);
            String now = after.shardFor(token);
            if (!was.equals(now)) {
                moved++;
                assertThat(now).as("a moved fleet goes to the new shard").isEqualTo("s4");
            }
        }
        assertThat(moved / (double) FLEETS).isBetween(0.22, 0.28);
    }

    @Test
    void tokenOwnedByFirstVnodeAtOrAboveItAndWrapsPastTheLargest() {
        Shard a = new Shard("a", ShardStatus.ACTIVE, Engine.POSTGRES, new long[] {-100, 100});
        Shard b = new Shard("b", ShardStatus.ACTIVE, Engine.MARIADB, new long[] {0});
        HashRing ring = HashRing.of(List.of(a, b));
        assertThat(ring.shardFor(-100)).isEqualTo("a");
        assertThat(ring.shardFor(-99)).isEqualTo("b");
        assertThat(ring.shardFor(0)).isEqualTo("b");
        assertThat(ring.shardFor(1)).isEqualTo("a");
        assertThat(ring.shardFor(101)).as("wraps").isEqualTo("a");
        assertThat(ring.shardFor(Long.MIN_VALUE)).isEqualTo("a");
        assertThat(ring.shardFor(Long.MAX_VALUE)).isEqualTo("a");
    }

    @Test
    void ownershipIsEachShardsShareOfTheTokenSpaceAddingUpToOne() {
        Shard a = new Shard("a", ShardStatus.ACTIVE, Engine.POSTGRES, new long[] {-100, 100});
        Shard b = new Shard("b", ShardStatus.ACTIVE, Engine.MARIADB, new long[] {0});
        Map<String, Double> small = HashRing.of(List.of(a, b)).ownership();
        assertThat(small.get("b")).isEqualTo(100 / 0x1p64);
        assertThat(small.get("a") + small.get("b")).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));

        Map<String, Double> three = HashRing.of(List.of(shard("s1"), shard("s2"), shard("s3"),
                shard("s4").withStatus(ShardStatus.RETIRED))).ownership();
        assertThat(three).containsOnlyKeys("s1", "s2", "s3");
        assertThat(three.values()).allSatisfy(share -> assertThat(share).isBetween(0.28, 0.39));
        assertThat(three.values().stream().mapToDouble(Double::doubleValue).sum())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(HashRing.empty().ownership()).isEmpty();
        assertThat(HashRing.of(List.of(b)).ownership()).containsEntry("b", 1.0);
    }

    @Test
    void retiredShardsOwnNoArcs() {
        HashRing ring = HashRing.of(List.of(shard("s1"), shard("s2").withStatus(ShardStatus.RETIRED)));
        for (long token : randomFleetTokens()) {
            assertThat(ring.shardFor(token)).isEqualTo("s1");
        }
    }

    @Test
    void emptyRingSaysToRegisterAShard() {
        assertThatThrownBy(() -> HashRing.empty().shardFor(1)).hasMessageContaining("register a shard");
    }

    @Test
    void sharedTokenGoesToTheShardWhoseIdSortsFirstWhateverTheInputOrder() {
        Shard a = new Shard("a", ShardStatus.ACTIVE, Engine.POSTGRES, new long[] {5});
        Shard b = new Shard("b", ShardStatus.ACTIVE, Engine.POSTGRES, new long[] {5, 10});
        assertThat(HashRing.of(List.of(b, a)).shardFor(5)).isEqualTo("a");
        assertThat(HashRing.of(List.of(a, b)).shardFor(5)).isEqualTo("a");
    }

    @Test
    void bucketedLookupAgreesWithAPlainSearchOverTheSortedTokens() {
        List<Shard> shards = new java.util.ArrayList<>();
        for (int s = 0; s < 40; s++) {
            shards.add(Shard.withDefaultTokens("shard-" + s, ShardStatus.ACTIVE, Engine.POSTGRES, 256));
        }
        HashRing ring = HashRing.of(shards);
        long[] all = shards.stream().flatMapToLong(s -> java.util.Arrays.stream(s.vnodeTokens())).sorted().toArray();
        SplittableRandom random = new SplittableRandom(3);
        for (int k = 0; k < 200_000; k++) {
            long token = k < 1000 ? all[random.nextInt(all.length)] + random.nextInt(3) - 1 : random.nextLong();
            int expected = java.util.Arrays.binarySearch(all, token);
            if (expected < 0) {
                expected = -expected - 1;
            }
            if (expected == all.length) {
                expected = 0;
            }
            assertThat(ring.vnodeIndexFor(token)).as("vnode of token %d", token).isEqualTo(expected);
        }
    }
}
