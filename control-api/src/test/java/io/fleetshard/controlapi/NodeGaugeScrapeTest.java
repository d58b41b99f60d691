package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.shardmap.MapEntity;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Scrapes of a real Prometheus registry while probe rounds re-register the node gauges for a changing set of nodes:
 * each scrape must succeed and show the nodes of one round, each once.
 */
class NodeGaugeScrapeTest {
    private static final Pattern UP_ROW = Pattern.compile("^fleetshard_node_up\\{node=\"([^\"]+)\",.*$",
            Pattern.MULTILINE);
    /** Node sets of shard s1 the map cycles through: one node (the gauge's only row), two, three, other names. */
    private static final List<List<String>> NODE_SETS = List.of(List.of("a"), List.of("a", "b"),
            List.of("c", "d", "e"), List.of("c"));

    private final InMemoryShardMap map = new InMemoryShardMap();
    private final ExecutorService probePool = Executors.newFixedThreadPool(2);
    private final ExecutorService scrapers = Executors.newFixedThreadPool(2);
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final GaugeScrapeLock scrapeLock = new GaugeScrapeLock();
    private final NodeHealthMonitor monitor = new NodeHealthMonitor(map, (node, engine) -> ProbeResult.up(1),
            new InMemoryStandbyPositionReader(), Clock.systemUTC(), probePool, Duration.ofSeconds(5), 3, registry,
            scrapeLock);

    @AfterEach
    void stop() {
        probePool.shutdownNow();
        scrapers.shutdownNow();
    }

    @Test
    void scrapesDuringRoundsWithChangingNodesSucceedAndShowEachNodeOfOneRoundOnce() throws Exception {
        Set<Set<String>> published = new HashSet<>();
        NODE_SETS.forEach(nodes -> published.add(new TreeSet<>(nodes)));
        AtomicBoolean roundsOver = new AtomicBoolean();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        List<Future<Integer>> scrapes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            scrapes.add(scrapers.submit(() -> {
                int done = 0;
                while (!roundsOver.get() && wrong.isEmpty()) {
                    String body;
                    try {
                        body = scrapeLock.scrape(registry);
                    } catch (RuntimeException e) {
                        wrong.add("scrape failed: " + e);
                        break;
                    }
                    List<String> shown = new ArrayList<>();
                    Matcher m = UP_ROW.matcher(body);
                    while (m.find()) {
                        shown.add(m.group(1));
                    }
                    if (!shown.isEmpty() && !published.contains(new TreeSet<>(shown))) {
                        wrong.add("a scrape showed nodes " + shown + ", which no round published");
                    }
                    done++;
                }
                return done;
            }));
        }
        int rounds = 0;
        for (; rounds < 3000 && wrong.isEmpty(); rounds++) {
            nodes(NODE_SETS.get(rounds % NODE_SETS.size()));
            monitor.probeRound();
        }
        roundsOver.set(true);
        int scraped = 0;
        for (Future<Integer> f : scrapes) {
            scraped += f.get();
        }

        assertThat(wrong).as("after %d rounds and %d scrapes", rounds, scraped).isEmpty();
        assertThat(scraped).isPositive();
    }

    /** Makes {@code nodeIds} the nodes of shard s1, the first one its primary. */
    private void nodes(List<String> nodeIds) {
        List<MapEntity> puts = new ArrayList<>();
        puts.add(Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 4));
        for (int i = 0; i < nodeIds.size(); i++) {
            puts.add(new Node(nodeIds.get(i), "s1", i == 0 ? NodeRole.PRIMARY : NodeRole.REPLICA, "r1", "r1a",
                    "jdbc:postgresql://h/" + nodeIds.get(i)));
        }
        List<String> deletes = map.current().nodes().stream().map(Node::nodeId).filter(id -> !nodeIds.contains(id))
                .map(Node::keyOf).toList();
        map.commit(map.current().version(), puts, deletes);
    }
}
