package io.fleetshard.launcher;

import io.fleetshard.router.FleetSchema;
import io.fleetshard.router.Router;
import io.fleetshard.router.RouterConfig;
import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.ShardMapSource;
import java.util.Map;

/** The router of {@code fleetshard dev}, and the shard-side schema it relies on. */
final class DevRouter {
    private DevRouter() {
    }

    static Router start(int port, ShardMapSource map, String tenantSecret, String jwtSecret) {
        RouterConfig config = RouterConfig.from(Map.of(
                RouterConfig.PORT, Integer.toString(port),
                RouterConfig.TENANT_SECRET, tenantSecret,
                RouterConfig.AUTH_JWT_SECRET, jwtSecret,
                RouterConfig.REGION, DemoTopology.PRIMARY_REGION,
                // the blocking listener for single and batched queries (ADR 0039), on a free port the banner prints
                RouterConfig.QUERY_PORT, "0"));
        return new Router(config, map).start();
    }

    /** Installs the demo schema, the app role and tenant isolation on one shard (idempotent). */
    static void installSchema(Engine engine, String superuserJdbcUrl, String tenantSecret) {
        FleetSchema.install(superuserJdbcUrl, tenantSecret);
    }

    /** The URL the map records for a node; the router adds its own credentials. */
    static String appJdbcUrl(Engine engine, int port) {
        return switch (engine) {
            case POSTGRES -> "jdbc:postgresql://127.0.0.1:" + port + "/" + DemoTopology.DATABASE;
            case MARIADB -> "jdbc:mariadb://127.0.0.1:" + port + "/" + DemoTopology.DATABASE;
            case MYSQL -> "jdbc:mysql://127.0.0.1:" + port + "/" + DemoTopology.DATABASE;
        };
    }
}
