package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.shardmap.DurabilityTier;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Fleet;
import io.fleetshard.shardmap.Node;
import io.fleetshard.shardmap.NodeRole;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardMapFollower;
import io.fleetshard.shardmap.ShardMapLogConfig;
import io.fleetshard.shardmap.ShardMapWriter;
import io.fleetshard.shardmap.ShardStatus;
import io.fleetshard.shardmap.Tenant;
import io.fleetshard.testkit.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A router following the real map log keeps routing with its last map while Kafka is down, and picks up map changes
 * again when Kafka returns.
 */
class RouterMapLogOutageIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void routerKeepsServingWithKafkaStoppedAndFollowsTheMapAgainWhenItReturns(@TempDir Path dir) {
        try (PostgresCluster pg = new PostgresCluster(dir.resolve("pg"), false);
                EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            String db = pg.newShardDatabase("outage");
            ShardMapLogConfig log = ShardMapLogConfig.defaults(kafka.bootstrapServers());
            try (ShardMapFollower controlFollower = ShardMapFollower.start(log, null);
                    ShardMapWriter writer = ShardMapWriter.open(log, controlFollower);
                    ShardMapFollower routerFollower = ShardMapFollower.start(log, dir.resolve("router-map.json"))) {
                long v = writer.commit(0, List.of(new Tenant("acme", DurabilityTier.STANDARD),
                        Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.POSTGRES, 16),
                        new Node("s1-p", "s1", NodeRole.PRIMARY, "eu-west-1", "eu-west-1a", pg.primary.jdbcUrl(db)),
                        new Fleet("acme", "f1", null)), List.of());
                assertThat(routerFollower.awaitVersion(v, WAIT)).isTrue();
                try (Router router = new Router(TestTokens.routerConfig().tenantSecret(PostgresCluster.SECRET).port(0)
                        .poolMaxSize(2).poolMinIdle(1).build(), routerFollower).start()) {
                    RouterHttp http = new RouterHttp(router.port());
                    assertThat(write(http, "f1", "v1").status()).isEqualTo(200);

                    kafka.stop();
                    RouterHttp.Reply read = read(http, "f1");
                    assertThat(read.status()).as(read.raw().body()).isEqualTo(200);
                    assertThat(read.body().path("rows")).hasSize(1);
                    assertThat(write(http, "f1", "v2").status()).isEqualTo(200);
                    assertThat(http.get("/readyz")).contains("ready");

                    kafka.restart();
                    long v2 = writer.commit(v, List.of(new Fleet("acme", "f2", null)), List.of());
                    assertThat(routerFollower.awaitVersion(v2, WAIT)).isTrue();
                    assertThat(write(http, "f2", "v3").status()).isEqualTo(200);
                    assertThat(read(http, "f2").body().path("rows")).hasSize(1);
                }
            }
        }
    }

    private static RouterHttp.Reply write(RouterHttp http, String fleet, String vehicle) {
        return http.query(Map.of("tenantId", "acme", "fleetId", fleet, "sql",
                "insert into vehicles (tenant_id, fleet_id, vehicle_id, vin, status, updated_at)"
                        + " values (?, ?, ?, 'VIN', 'active', now())", "params", List.of("acme", fleet, vehicle)));
    }

    private static RouterHttp.Reply read(RouterHttp http, String fleet) {
        return http.query(Map.of("tenantId", "acme", "fleetId", fleet, "sql",
                "select vehicle_id from vehicles where fleet_id = ? order by vehicle_id", "params", List.of(fleet)));
    }
}
