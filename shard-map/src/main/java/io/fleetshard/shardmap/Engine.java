package io.fleetshard.shardmap;

import java.util.Locale;

/** The database engine of a shard. MariaDB is its own engine because its replication and capture differ from MySQL's. */
public enum Engine {
    POSTGRES, MYSQL, MARIADB;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Engine parse(String s) {
        for (Engine e : values()) {
            if (e.wireName().equals(s)) {
                return e;
            }
        }
        throw new IllegalArgumentException("engine must be one of postgres, mysql, mariadb, got " + DurabilityTier.quote(s));
    }
}
