package io.fleetshard.bench;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.FleetToken;
import io.fleetshard.shardmap.HashRing;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fleet → shard lookup on a ring of 1000 shards × 256 vnodes (goal ≤ 100 ns). {@code lookupToken} is the ring's binary
 * search alone; {@code hashAndLookup} adds the Murmur3 token of {@code tenant/fleet}, i.e. the whole routing decision
 * for an unpinned fleet.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
@State(Scope.Benchmark)
public class RingLookupBenchmark {
    @Param({"1000"})
    int shards;

    @Param({"256"})
    int vnodes;

    private HashRing ring;
    private long[] tokens;
    private String[] tenants;
    private String[] fleets;
    private int i;

    @Setup
    public void setUp() {
        List<Shard> list = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            list.add(Shard.withDefaultTokens("shard-" + s, ShardStatus.ACTIVE, Engine.POSTGRES, vnodes));
        }
        ring = HashRing.of(list);
        SplittableRandom random = new SplittableRandom(1);
        tokens = new long[1 << 16];
        tenants = new String[1 << 16];
        fleets = new String[1 << 16];
        for (int k = 0; k < tokens.length; k++) {
            tenants[k] = "tenant-" + random.nextInt(5000);
            fleets[k] = "fleet-" + random.nextInt(1_000_000);
            tokens[k] = FleetToken.of(tenants[k], fleets[k]);
        }
    }

    @Benchmark
    public String lookupToken() {
        i = (i + 1) & (tokens.length - 1);
        return ring.shardFor(tokens[i]);
    }

    @Benchmark
    public String hashAndLookup() {
        i = (i + 1) & (tokens.length - 1);
        return ring.shardFor(FleetToken.of(tenants[i], fleets[i]));
    }
}
