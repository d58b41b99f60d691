package io.fleetshard.cdc;

import static io.fleetshard.cdc.CdcTestSupport.exec;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetshard.cdc.CdcTestSupport.Collector;
import io.fleetshard.cdc.CdcTestSupport.Received;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.InMemoryShardMap;
import io.fleetshard.testkit.Await;
import io.fleetshard.testkit.FreePorts;
import io.fleetshard.testkit.PostgresNode;
import io.fleetshard.testkit.SharedKafka;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when a shard fails: an unreachable server, rows that cannot be published, a bad connector setting.
 * Two PostgreSQL servers: {@code flaky} is stopped and restarted by a test, {@code steady} keeps running.
 */
class CaptureFaultIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;
    static PostgresNode steady;
    static PostgresNode flaky;
    static int flakyPort;

    @BeforeAll
    static void startPostgres() {
        steady = PostgresNode.startPrimary(dir.resolve("steady"));
        flakyPort = FreePorts.next();
        flaky = PostgresNode.startPrimary(dir.resolve("flaky"), flakyPort);
    }

    @AfterAll
    static void stopPostgres() {
        if (steady != null) {
            steady.close();
        }
        if (flaky != null) {
            flaky.close();
        }
    }

    @Test
    void anUnreachableShardShowsItsErrorWhileOtherShardsFlowAndResumesWhenItsServerReturns() throws Exception {
        String prefix = CdcTestSupport.unique("down");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String down = prefix + "-down";
        String up = prefix + "-up";
        flaky.createDatabase(prefix);
        steady.createDatabase(prefix);
        String downUrl = flaky.jdbcUrl(prefix);
        String upUrl = steady.jdbcUrl(prefix);
        CdcTestSupport.createPostgresSchema(downUrl);
        CdcTestSupport.createPostgresSchema(upUrl);
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, down, Engine.POSTGRES, downUrl);
        CdcTestSupport.addShard(map, up, Engine.POSTGRES, upUrl);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "").build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles")));
            insertVehicle(downUrl, "before-outage");
            insertVehicle(upUrl, "before-outage");
            Await.condition("both shards stream", WAIT, () -> topics.count(r -> vehicle(r).equals("before-outage")) == 2);

            flaky.stop();
            Await.condition("the unreachable shard's error in status()", WAIT, () -> {
                ShardCaptureStatus s = worker.status().get(down);
                return s.lastError() != null && errors(worker.meterRegistry(), down, "source-unreachable") > 0;
            });
            ShardCaptureStatus failed = worker.status().get(down);
            assertThat(failed.lastError()).as("names what failed").containsIgnoringCase("connection");
            insertVehicle(upUrl, "during-outage");
            Await.condition("the other shard keeps flowing", WAIT, () -> topics.count(r -> vehicle(r).equals("during-outage")) == 1);
            assertThat(worker.status().get(up).lastError()).isNull();

            flaky = PostgresNode.startPrimary(dir.resolve("flaky"), flakyPort);
            insertVehicle(downUrl, "after-outage");
            Await.condition("the shard resumes when its server returns", WAIT,
                    () -> topics.count(r -> vehicle(r).equals("after-outage")) == 1);
            Await.condition("its error clears", WAIT, () -> worker.status().get(down).lastError() == null
                    && "running".equals(worker.status().get(down).state()));
            Map<String, Long> perEvent = topics.all().stream()
                    .collect(Collectors.groupingBy(r -> r.value().path("shard").asText() + "/" + r.key(), Collectors.counting()));
            assertThat(perEvent).as("no event lost or repeated across the outage").hasSize(4)
                    .allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1L));
            topics.close();
        }
    }

    @Test
    void rowsWithoutTenantOrTooLargeGoToTheDeadLetterTopicAndTheShardKeepsStreaming() throws Exception {
        String prefix = CdcTestSupport.unique("dlq");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String shard = prefix + "-s";
        steady.createDatabase(prefix);
        String url = steady.jdbcUrl(prefix);
        // A table that does not enforce tenant/fleet, as a misbehaving application's schema might.
        exec(url, "CREATE TABLE vehicles (id serial PRIMARY KEY, tenant_id text, fleet_id text, vehicle_id text, vin text)",
                "ALTER TABLE vehicles REPLICA IDENTITY FULL",
                "CREATE TABLE telemetry (id serial PRIMARY KEY, tenant_id text, fleet_id text)");
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, shard, Engine.POSTGRES, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "")
                .set(CaptureConfig.Key.MAX_RECORD_BYTES, 4_096).build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            Collector topics = new Collector(bootstrap, List.of(config.changeTopic("vehicles"), config.deadLetterTopic()));
            exec(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES (NULL, 'f1', 'no-tenant')",
                    "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('t1', 'f1', 'oversized', repeat('x', 20000))",
                    "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id, vin) VALUES ('t1', 'f1', 'fine', 'VIN1')");
            Await.condition("the good row after the two bad ones", WAIT,
                    () -> topics.count(r -> r.topic().equals(config.changeTopic("vehicles")) && vehicle(r).equals("fine")) == 1);
            Await.condition("two dead letters", WAIT, () -> topics.count(r -> r.topic().equals(config.deadLetterTopic())) == 2);

            List<Received> dead = topics.where(r -> r.topic().equals(config.deadLetterTopic()));
            assertThat(dead).extracting(r -> r.value().path("reason").asText())
                    .anySatisfy(reason -> assertThat(reason).contains("tenant_id"))
                    .anySatisfy(reason -> assertThat(reason).contains("max.record.bytes=4096"));
            assertThat(dead).allSatisfy(r -> {
                assertThat(r.value().path("shard").asText()).isEqualTo(shard);
                assertThat(r.value().path("table").asText()).isEqualTo("vehicles");
                assertThat(r.value().toString()).doesNotContain("xxxxxxxxxx");
            });
            assertThat(topics.count(r -> r.topic().equals(config.changeTopic("vehicles")))).as("only the good row is a change").isEqualTo(1);
            assertThat(worker.meterRegistry().get("fleetshard.cdc.dead.letters").tag("shard", shard).counter().count()).isEqualTo(2);
            assertThat(worker.status().get(shard).state()).isEqualTo("running");
            topics.close();
        }
    }

    @Test
    void aShardWhoseUserLacksReplicationRightsReportsWhatToFix() throws Exception {
        String prefix = CdcTestSupport.unique("badcfg");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String shard = prefix + "-s";
        steady.createDatabase(prefix);
        String url = steady.jdbcUrl(prefix);
        CdcTestSupport.createPostgresSchema(url);
        String role = prefix + "_plain";
        exec(url, "CREATE ROLE " + role + " LOGIN", "GRANT ALL ON ALL TABLES IN SCHEMA public TO " + role,
                "GRANT CREATE ON SCHEMA public TO " + role);
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, shard, Engine.POSTGRES, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "")
                .shardCredentials(shard, new DbCredentials(role, "")).build();
        try (CaptureWorker worker = new CaptureWorker(config, map)) {
            worker.start();
            Await.condition("the shard's error in status()", WAIT, () -> worker.status().containsKey(shard)
                    && worker.status().get(shard).lastError() != null);
            String error = worker.status().get(shard).lastError();
            System.out.println("Bad-setting error as shown in status(): " + error);
            assertThat(error).contains("Only roles with the REPLICATION attribute may start a WAL sender process")
                    .contains("fix the shard's user");
            assertThat(errors(worker.meterRegistry(), shard, "bad-config")).isPositive();
            assertThat(worker.status().get(shard).state()).isIn("backoff", "starting");
        }
    }

    @Test
    void changesOlderThanTheirTopicKeepsRecordsWaitAtTheSourceUntilRetentionIsRaised() throws Exception {
        String prefix = CdcTestSupport.unique("retention");
        String bootstrap = SharedKafka.get().bootstrapServers();
        String shard = prefix + "-s";
        steady.createDatabase(prefix);
        String url = steady.jdbcUrl(prefix);
        CdcTestSupport.createPostgresSchema(url);
        InMemoryShardMap map = new InMemoryShardMap();
        CdcTestSupport.addShard(map, shard, Engine.POSTGRES, url);
        CaptureConfig config = CdcTestSupport.config(bootstrap, "w1", prefix).credentials("postgres", "").build();
        String vehicles = config.changeTopic("vehicles");
        long sevenDaysMs = Duration.ofDays(7).toMillis();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            // the operator's change topic deletes records after Kafka's usual 7 days
            admin.createTopics(List.of(new NewTopic(vehicles, 6, (short) 1)
                    .configs(Map.of("retention.ms", Long.toString(sevenDaysMs))))).all().get(30, TimeUnit.SECONDS);
            // capture resumes 8 days after the shard's commits, as after a long outage
            Clock eightDaysLater = Clock.offset(Clock.systemUTC(), Duration.ofDays(8));
            try (CaptureWorker worker = new CaptureWorker(config, map, new SimpleMeterRegistry(), eightDaysLater)) {
                worker.start();
                Collector topics = new Collector(bootstrap, List.of(vehicles));
                insertVehicle(url, "after-a-long-outage");
                Await.condition("the shard's retention error in status()", WAIT,
                        () -> errors(worker.meterRegistry(), shard, "topic-retention") > 0);
                String error = worker.status().get(shard).lastError();
                System.out.println("Retention error as shown in status(): " + error);
                assertThat(error).contains(vehicles).contains("retention.ms=" + sevenDaysMs)
                        .contains("nothing is lost").contains("Raise retention.ms");
                assertThat(topics.count(r -> true)).as("nothing written that the topic would delete unread").isZero();

                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, vehicles),
                        List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "-1"), AlterConfigOp.OpType.SET))))
                        .all().get(30, TimeUnit.SECONDS);
                Await.condition("the change arrives once retention is raised", WAIT,
                        () -> topics.count(r -> vehicle(r).equals("after-a-long-outage")) == 1);
                Await.condition("its error clears", WAIT, () -> worker.status().get(shard).lastError() == null
                        && "running".equals(worker.status().get(shard).state()));
                insertVehicle(url, "next");
                Await.condition("and the shard streams on", WAIT,
                        () -> topics.count(r -> vehicle(r).equals("next")) == 1);
                assertThat(topics.count(r -> vehicle(r).equals("after-a-long-outage"))).as("exactly once").isEqualTo(1);
                topics.close();
            }
        }
    }

    private static void insertVehicle(String url, String vehicleId) throws Exception {
        exec(url, "INSERT INTO vehicles (tenant_id, fleet_id, vehicle_id) VALUES ('t1', 'f1', '" + vehicleId + "')");
    }

    private static String vehicle(Received r) {
        return r.value().path("key").path("vehicle_id").asText(r.value().path("after").path("vehicle_id").asText());
    }

    private static double errors(MeterRegistry registry, String shard, String kind) {
        return registry.find("fleetshard.cdc.errors").tag("shard", shard).tag("kind", kind).counters().stream()
                .mapToDouble(Counter::count).sum();
    }
}
