package io.fleetshard.config;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * The raw values of a component's keys over their defaults. {@link #number} parses once and reports a bad value as a
 * problem (answering the default, so validation can go on and report the rest too).
 */
public final class ConfigValues<K extends Enum<K> & ConfigKey> {
    private final Class<K> type;
    private final EnumMap<K, String> values;

    private ConfigValues(Class<K> type) {
        this.type = type;
        this.values = new EnumMap<>(type);
        for (K k : type.getEnumConstants()) {
            if (k.defaultValue() != null) {
                values.put(k, k.defaultValue());
            }
        }
    }

    public static <K extends Enum<K> & ConfigKey> ConfigValues<K> defaults(Class<K> type) {
        return new ConfigValues<>(type);
    }

    public void set(K key, String value) {
        values.put(key, value);
    }

    /**
     * Sets every known key of {@code given}; any other key is offered to {@code other} (for keys with a variable
     * part, such as per-shard credentials) and reported as unknown when it declines: a typo must not fall back to a
     * default silently.
     */
    public void setAll(Map<String, String> given, BiPredicate<String, String> other, ConfigProblems problems) {
        outer:
        for (Map.Entry<String, String> e : given.entrySet()) {
            for (K k : type.getEnumConstants()) {
                if (k.key().equals(e.getKey())) {
                    values.put(k, e.getValue());
                    continue outer;
                }
            }
            if (!other.test(e.getKey(), e.getValue())) {
                problems.add("unknown key '" + e.getKey() + "'");
            }
        }
    }

    public String text(K key) {
        return values.get(key);
    }

    /** The value as a number; a bad one is a problem and answers the default (0 for a required key). */
    public long number(K key, ConfigProblems problems) {
        String v = values.get(key);
        try {
            return Long.parseLong(v.trim());
        } catch (RuntimeException e) {
            problems.add(key.key() + " must be a number, got '" + v + "'");
            return key.defaultValue() == null ? 0 : Long.parseLong(key.defaultValue());
        }
    }

    /** The README table of a component's keys: key, default ({@code (required)}, {@code (empty)}), meaning. */
    public static <K extends Enum<K> & ConfigKey> String markdownTable(Class<K> type) {
        StringBuilder sb = new StringBuilder("| key | default | meaning |\n| --- | --- | --- |\n");
        for (K k : type.getEnumConstants()) {
            sb.append("| `").append(k.key()).append("` | ")
                    .append(k.defaultValue() == null ? "(required)" : k.defaultValue().isEmpty() ? "(empty)"
                            : "`" + k.defaultValue() + "`")
                    .append(" | ").append(k.doc()).append(" |\n");
        }
        return sb.toString();
    }
}
