package io.fleetshard.launcher;

import io.fleetshard.shardmap.Engine;
import java.util.List;

/** The demo shards, their nodes' placement, and the demo tenants of {@code fleetshard dev}. */
final class DemoTopology {
    static final String PRIMARY_REGION = "eu-west-1";
    static final String MARIADB_REGION = "us-east-1";
    /** Where every demo shard's warm standby runs, fed from the S3 archive. */
    static final String STANDBY_REGION = "us-west-2";
    static final String DATABASE = "fleet";

    /**
     * A demo shard: id, engine, whether it has a synchronous replica (PostgreSQL streaming, MariaDB semi-synchronous
     * GTID), and how many vnode tokens it owns when registered
     * (0: none until a split or merge hands it some; a target for moves).
     */
    record DemoShard(String shardId, Engine engine, String region, boolean withReplica, int vnodes) {
        String primaryNodeId() {
            return shardId + "-a";
        }

        String replicaNodeId() {
            return shardId + "-b";
        }

        /** The warm standby in {@link #STANDBY_REGION}. */
        String standbyNodeId() {
            return shardId + "-dr";
        }
    }

    /** A demo fleet; {@code pinnedShardId} null lets the ring place it. */
    record DemoFleet(String tenantId, String fleetId, String pinnedShardId) {
    }

    static final List<DemoShard> SHARDS = List.of(
            new DemoShard("pg-1", Engine.POSTGRES, PRIMARY_REGION, true, 256),
            new DemoShard("pg-2", Engine.POSTGRES, PRIMARY_REGION, true, 256),
            new DemoShard("pg-3", Engine.POSTGRES, PRIMARY_REGION, true, 256),
            // a semi-synchronous GTID replica (ADR 0024): globex, pinned here, is a platinum tenant
            new DemoShard("maria-1", Engine.MARIADB, MARIADB_REGION, true, 256),
            // owns no arc: a MariaDB target for `fleetshard reshard move --fleet globex/ships --to maria-2`
            new DemoShard("maria-2", Engine.MARIADB, MARIADB_REGION, false, 0));

    static final List<String[]> TENANTS = List.of(new String[] {"acme", "standard"},
            new String[] {"globex", "platinum"});

    static final List<DemoFleet> FLEETS = List.of(
            new DemoFleet("acme", "trucks", null),
            new DemoFleet("acme", "vans", null),
            new DemoFleet("acme", "buses", null),
            new DemoFleet("acme", "cranes", null),
            new DemoFleet("acme", "drones", null),
            new DemoFleet("acme", "scooters", null),
            new DemoFleet("globex", "ships", "maria-1"));

    static final int VEHICLES_PER_FLEET = 3;

    private DemoTopology() {
    }
}
