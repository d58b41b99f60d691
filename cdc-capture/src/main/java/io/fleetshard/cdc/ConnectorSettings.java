package io.fleetshard.cdc;

import io.fleetshard.shardmap.Engine;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Utils;

/**
 * The Debezium engine properties of one shard. One place decides every connector setting; MariaDB shards always use
 * Debezium's MariaDB connector (never MySqlConnector, which lost rows on restart against MariaDB: STACK.md).
 */
final class ConnectorSettings {
    static final String OFFSET_BOOTSTRAP = "fleetshard.offsets.bootstrap.servers";
    static final String OFFSET_TOPIC = "fleetshard.offsets.topic";
    static final String OFFSET_SHARD = "fleetshard.offsets.shard";
    /** Prefix of the Kafka client security properties of the offset store's reads (ADR 0027). */
    static final String OFFSET_CLIENT_PREFIX = "fleetshard.offsets.client.";

    /** A one-row table in each shard's publication: its update is a real transaction, so the slot's LSN moves. */
    static final String HEARTBEAT_TABLE = "fleetshard_heartbeat";
    static final String PG_HEARTBEAT_DDL = "CREATE TABLE IF NOT EXISTS public." + HEARTBEAT_TABLE
            + " (id int PRIMARY KEY, ts timestamptz NOT NULL)";
    static final String PG_HEARTBEAT_QUERY = "INSERT INTO public." + HEARTBEAT_TABLE
            + " (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = excluded.ts";
    /** The same one-row table on MySQL/MariaDB: its streamed change is capture's watermark there too (ADR 0048). */
    static final String MYSQL_HEARTBEAT_DDL = "CREATE TABLE IF NOT EXISTS " + HEARTBEAT_TABLE
            + " (id INT PRIMARY KEY, ts DATETIME(3) NOT NULL)";

    /**
     * Debezium sends a binlog server heartbeat request for 0.8 x the keep-alive interval; an idle MariaDB shard's
     * heartbeat (and so its watermark) comes only with those, so the keep-alive interval is twice the heartbeat
     * interval, and at least this (a connection is re-opened when nothing arrived for a whole keep-alive interval).
     */
    static final long MIN_KEEP_ALIVE_MS = 10_000;

    /**
     * The heartbeat upsert of a MySQL/MariaDB shard. It writes nothing on a read-only server: a frozen former primary
     * (switchover, failover) must not get transactions its successor lacks (errant GTIDs, ADR 0032), and capture's user
     * may hold READ_ONLY ADMIN (root does). With row-based binlogs a statement that changes no row logs nothing.
     */
    static String mysqlHeartbeatQuery(String database) {
        return "INSERT INTO `" + database.replace("`", "``") + "`." + HEARTBEAT_TABLE
                + " (id, ts) SELECT 1, UTC_TIMESTAMP(3) FROM DUAL WHERE @@global.read_only = 0"
                + " ON DUPLICATE KEY UPDATE ts = VALUES(ts)";
    }

    /**
     * The resharder's transaction marker (ADR 0013, docs/spec/change-events.md): a change of this table starts a tagged
     * transaction, whose changes go to the shard log only.
     */
    static final String RESHARD_TX_TABLE = "fleetshard_reshard_tx";
    static final String PG_RESHARD_TX_DDL = "CREATE TABLE IF NOT EXISTS public." + RESHARD_TX_TABLE
            + " (slot integer PRIMARY KEY, job_id text NOT NULL, kind text NOT NULL, seq bigint NOT NULL)";
    static final String MYSQL_RESHARD_TX_DDL = "CREATE TABLE IF NOT EXISTS " + RESHARD_TX_TABLE
            + " (slot INT PRIMARY KEY, job_id VARCHAR(64) NOT NULL, kind VARCHAR(16) NOT NULL, seq BIGINT NOT NULL)";

    private ConnectorSettings() {
    }

    /** Replication slot and publication name of a shard: {@code fleetshard_<id>} in lower-case identifier form. */
    static String slotName(String shardId) {
        String s = "fleetshard_" + shardId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return s.length() <= 63 ? s : s.substring(0, 54) + "_" + Integer.toHexString(shardId.hashCode());
    }

    /** Debezium's topic.prefix (logical server name) of a shard; the envelope never exposes it. */
    static String serverName(String shardId) {
        return "fs_" + shardId.replaceAll("[^A-Za-z0-9_]", "_");
    }

    static String engineName(String shardId) {
        return "fleetshard-cdc-" + shardId;
    }

    /** A binlog client id unique per shard, far from typical server ids (1..1000). */
    static long binlogServerId(String shardId) {
        return 100_000L + Utils.toPositive(Utils.murmur2(shardId.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % 1_000_000L;
    }

    static Properties forShard(CaptureConfig config, String shardId, Engine engine, JdbcTarget target) {
        DbCredentials credentials = config.credentialsFor(shardId);
        Properties p = new Properties();
        p.setProperty("name", engineName(shardId));
        p.setProperty("topic.prefix", serverName(shardId));
        p.setProperty("offset.storage", TransactionalOffsetStore.class.getName());
        p.setProperty(OFFSET_BOOTSTRAP, config.bootstrapServers());
        p.setProperty(OFFSET_TOPIC, config.offsetsTopic());
        p.setProperty(OFFSET_SHARD, shardId);
        p.putAll(config.kafkaSecurity().clientProperties(OFFSET_CLIENT_PREFIX));
        // Only moves the slot's confirmed LSN / nothing else: the durable offset is written with each batch.
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("poll.interval.ms", Long.toString(config.pollIntervalMs()));
        p.setProperty("max.batch.size", Integer.toString(config.maxBatchSize()));
        p.setProperty("max.queue.size", Integer.toString(config.maxQueueSize()));
        p.setProperty("heartbeat.interval.ms", Long.toString(config.heartbeatIntervalMs()));
        p.setProperty("snapshot.mode", config.snapshotMode());
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("binary.handling.mode", "base64");
        // Failures surface to the shard's supervisor, which counts them, backs off and restarts from the stored offset.
        p.setProperty("errors.max.retries", "0");
        p.setProperty("database.hostname", target.host());
        p.setProperty("database.port", Integer.toString(target.port()));
        p.setProperty("database.user", credentials.user());
        p.setProperty("database.password", credentials.password());
        p.setProperty("database.connectionTimeZone", "UTC");
        switch (engine) {
            case POSTGRES -> {
                p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
                p.setProperty("plugin.name", "pgoutput");
                p.setProperty("database.dbname", target.database());
                // TLS from the node's JDBC URL (docs/security.md): pgjdbc's sslmode and sslrootcert mean the same here
                p.setProperty("database.sslmode", target.param("sslmode").orElse("disable"));
                target.param("sslrootcert").ifPresent(v -> p.setProperty("database.sslrootcert", v));
                target.param("sslcert").ifPresent(v -> p.setProperty("database.sslcert", v));
                target.param("sslkey").ifPresent(v -> p.setProperty("database.sslkey", v));
                p.setProperty("slot.name", slotName(shardId));
                p.setProperty("slot.failover", "true");
                p.setProperty("slot.max.retries", "3");
                p.setProperty("slot.retry.delay.ms", "1000");
                p.setProperty("publication.name", slotName(shardId));
                p.setProperty("publication.autocreate.mode", "filtered");
                p.setProperty("table.include.list", config.tables().stream().map(t -> "public." + t)
                        .collect(Collectors.joining(",")) + ",public." + HEARTBEAT_TABLE + ",public." + RESHARD_TX_TABLE);
                p.setProperty("heartbeat.action.query", PG_HEARTBEAT_QUERY);
                p.setProperty("status.update.interval.ms", "1000");
            }
            case MARIADB, MYSQL -> {
                p.setProperty("connector.class", engine == Engine.MARIADB
                        ? "io.debezium.connector.mariadb.MariaDbConnector"
                        : "io.debezium.connector.mysql.MySqlConnector");
                p.setProperty("database.server.id", Long.toString(binlogServerId(shardId)));
                p.setProperty("database.include.list", target.database());
                p.setProperty("table.include.list", config.tables().stream().map(t -> target.database() + "." + t)
                        .collect(Collectors.joining(",")) + "," + target.database() + "." + RESHARD_TX_TABLE
                        + "," + target.database() + "." + HEARTBEAT_TABLE);
                p.setProperty("heartbeat.action.query", mysqlHeartbeatQuery(target.database()));
                p.setProperty("connect.keep.alive.interval.ms",
                        Long.toString(Math.max(MIN_KEEP_ALIVE_MS, 2 * config.heartbeatIntervalMs())));
                // The two connectors spell it differently; MySqlConnector rejects "disable" and never starts.
                // TLS from the node's JDBC URL (docs/security.md): sslMode in the connector's own spelling, trustStore
                p.setProperty("database.ssl.mode", target.param("sslMode")
                        .orElse(engine == Engine.MARIADB ? "disable" : "disabled"));
                target.param("trustStore").ifPresent(v -> p.setProperty("database.ssl.truststore", v));
                target.param("trustStorePassword").ifPresent(v -> p.setProperty("database.ssl.truststore.password", v));
                if (target.param("trustStore").isEmpty() && target.param("serverSslCert").isPresent()) {
                    // the binlog client trusts only a key store: the PEM CA of the URL becomes one
                    p.setProperty("database.ssl.truststore",
                            PemTrustStore.of(target.param("serverSslCert").get()).toString());
                    p.setProperty("database.ssl.truststore.password", PemTrustStore.PASSWORD);
                }
                if (engine == Engine.MARIADB) {
                    // Debezium hands driver.* to MariaDB Connector/J, which ignores the MySQL driver's trust-store names
                    for (String name : new String[] {"serverSslCert", "trustStore", "trustStorePassword", "trustStoreType"}) {
                        target.param(name).ifPresent(v -> p.setProperty("driver." + name, v));
                    }
                }
                p.setProperty("include.schema.changes", "false");
                p.setProperty("schema.history.internal", "io.debezium.storage.kafka.history.KafkaSchemaHistory");
                p.setProperty("schema.history.internal.kafka.bootstrap.servers", config.bootstrapServers());
                // KafkaSchemaHistory's producer, consumer and admin client take these (TLS/SASL: ADR 0027)
                p.putAll(config.kafkaSecurity().clientProperties("schema.history.internal.producer."));
                p.putAll(config.kafkaSecurity().clientProperties("schema.history.internal.consumer."));
                p.setProperty("schema.history.internal.kafka.topic", config.schemaHistoryTopicPrefix() + shardId);
                p.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
                p.setProperty("schema.history.internal.store.only.captured.databases.ddl", "true");
                p.setProperty("connect.keep.alive", "true");
                p.setProperty("connect.timeout.ms", "10000");
                if (engine == Engine.MYSQL) {
                    p.setProperty("gtid.source.filter.dml.events", "true");
                }
            }
            default -> throw new CaptureException("shard " + shardId + ": no capture for engine " + engine);
        }
        return p;
    }
}
