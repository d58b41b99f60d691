package io.fleetshard.controlapi;

import static io.fleetshard.controlapi.ApiHarness.node;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A shard registered through the API is one map transaction on the real log: every reader, and every GET on the API,
 * sees the shard with all its nodes or nothing of it.
 */
class ShardRegistrationAtomicityIT {
    private static final int SHARDS = 6;
    private static final int NODES_PER_SHARD = 4;

    @Test
    void aShardAppearsWithAllItsNodesAtOnce() throws Exception {
        ShardMapLogConfig log = KafkaControlApi.freshLog("atomicity");
        List<ShardMapSnapshot> observed = new CopyOnWriteArrayList<>();
        List<String> tornReads = new CopyOnWriteArrayList<>();
        try (KafkaControlApi api = KafkaControlApi.start(log, Map.of());
             ShardMapFollower observer = ShardMapFollower.start(log, null)) {
            observer.addListener(observed::add);
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread reader = new Thread(() -> {
                while (writing.get()) {
                    for (int i = 0; i < SHARDS; i++) {
                        ApiHarness.Response r = api.http.get("/v1/shards/s" + i);
                        if (r.status() == 200 && r.json().path("nodes").size() != NODES_PER_SHARD) {
                            tornReads.add(r.body());
                        } else if (r.status() != 200 && r.status() != 404) {
                            tornReads.add(r.status() + " " + r.body());
                        }
                    }
                }
            }, "atomicity-reader");
            reader.start();
            try {
                for (int i = 0; i < SHARDS; i++) {
                    ApiHarness.Response r = api.http.post("/v1/shards", shardBody("s" + i));
                    assertThat(r.status()).as(r.body()).isEqualTo(201);
                    long version = r.json().path("mapVersion").asLong();
                    assertThat(version).isEqualTo(i + 1);
                    ApiHarness.Response read = api.http.get("/v1/shards/s" + i);
                    assertThat(read.status()).as("read your write on the same instance").isEqualTo(200);
                    assertThat(read.json().path("nodes")).hasSize(NODES_PER_SHARD);
                    assertThat(read.json().path("mapVersion").asLong()).isGreaterThanOrEqualTo(version);
                }
            } finally {
                writing.set(false);
                reader.join();
            }
            Eventually.until("the observer to apply all " + SHARDS + " versions", Duration.ofSeconds(30),
                    () -> observer.current().version() == SHARDS);
        }

        assertThat(tornReads).as("API reads of a half-registered shard").isEmpty();
        assertThat(observed).isNotEmpty();
        for (ShardMapSnapshot s : observed) {
            for (int i = 0; i < SHARDS; i++) {
                String shardId = "s" + i;
                boolean shardThere = s.shard(shardId).isPresent();
                List<String> nodes = new ArrayList<>();
                for (Node n : s.nodesOf(shardId)) {
                    nodes.add(n.nodeId());
                }
                assertThat(nodes).as("nodes of %s at version %d", shardId, s.version())
                        .hasSize(shardThere ? NODES_PER_SHARD : 0);
            }
        }
        ShardMapSnapshot last = observed.get(observed.size() - 1);
        assertThat(last.ring().vnodeCount()).isEqualTo(SHARDS * 16);
    }

    private static String shardBody(String shardId) {
        return "{\"shardId\":\"" + shardId + "\",\"engine\":\"postgres\",\"vnodes\":16,\"nodes\":["
                + node(shardId + "-p", "primary") + "," + node(shardId + "-s", "sync-replica") + ","
                + node(shardId + "-r", "replica") + "," + node(shardId + "-dr", "standby") + "]}";
    }
}
