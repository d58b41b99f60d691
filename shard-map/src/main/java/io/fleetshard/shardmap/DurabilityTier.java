package io.fleetshard.shardmap;

import java.util.Locale;

/** A tenant's durability tier; decides placement and replication settings (DESIGN.md "Durability tiers"). */
public enum DurabilityTier {
    STANDARD, ENHANCED, PLATINUM;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DurabilityTier parse(String s) {
        for (DurabilityTier t : values()) {
            if (t.wireName().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("tier must be one of standard, enhanced, platinum, got " + quote(s));
    }

    static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }
}
