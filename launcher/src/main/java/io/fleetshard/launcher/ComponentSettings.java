package io.fleetshard.launcher;

import io.fleetshard.config.KafkaClientSecurity;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code fleetshard run} starts a component with (the Helm chart's contract, {@code infra/helm}): the
 * component's own keys ({@code --config} file, then {@code --set key=value}, then secrets from environment variables
 * {@code FLEETSHARD_<KEY>}, e.g. {@code db.password} from {@code FLEETSHARD_DB_PASSWORD}), and the platform keys the
 * launcher wires around it ({@code --platform} file). Immutable.
 */
record ComponentSettings(Map<String, String> component, Map<String, String> platform) {
    /** Platform key: how long a start keeps trying while Kafka does not answer ({@link RunCommand#start}). */
    static final String START_KAFKA_WAIT_KEY = "start.kafka.wait.ms";
    /**
     * Platform keys {@code fleetshard run} knows; any other key in the platform file is refused. The Kafka client
     * security keys ({@code kafka.security.protocol}, {@code kafka.ssl.*}, {@code kafka.sasl.*}: ADR 0027) are every
     * component's.
     */
    static final Set<String> PLATFORM_KEYS = platformKeys("kafka.bootstrap.servers", "shardmap.topic",
            "shardmap.mirror.table", "admin.host", "admin.port", "aws.region", "archive.bucket", "archive.tier",
            "s3.region", "s3.endpoint", "s3.access.key", "s3.secret.key", "standby.shard", "standby.jdbc.url",
            "state.dir", "dynamodb.endpoint", "dynamodb.access.key", "dynamodb.secret.key", START_KAFKA_WAIT_KEY);

    private static Set<String> platformKeys(String... keys) {
        Set<String> all = new TreeSet<>(List.of(keys));
        for (KafkaClientSecurity.Key k : KafkaClientSecurity.Key.values()) {
            all.add(k.key());
        }
        return Set.copyOf(all);
    }

    ComponentSettings {
        component = Map.copyOf(component);
        platform = Map.copyOf(platform);
    }

    /**
     * @param secretKeys component keys that may come from the environment (besides any key already in the file)
     */
    static ComponentSettings load(Path configFile, Path platformFile, Map<String, String> sets,
            Map<String, String> env, Collection<String> secretKeys) {
        Map<String, String> component = configFile == null ? new LinkedHashMap<>() : read(configFile);
        component.putAll(sets);
        Set<String> fromEnv = new TreeSet<>(secretKeys);
        fromEnv.addAll(component.keySet());
        for (String key : fromEnv) {
            String value = env.get(envName(key));
            if (value != null) {
                component.put(key, value);
            }
        }
        Map<String, String> platform = platformFile == null ? new LinkedHashMap<>() : read(platformFile);
        for (String key : platform.keySet()) {
            if (!PLATFORM_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' in the platform file " + platformFile
                        + "; known: " + new TreeSet<>(PLATFORM_KEYS));
            }
        }
        List<String> secrets = new java.util.ArrayList<>(List.of("s3.secret.key", "dynamodb.secret.key"));
        secrets.addAll(KafkaClientSecurity.SECRET_KEYS);
        for (String secret : secrets) { // the platform's secrets
            String value = env.get(envName(secret));
            if (value != null) {
                platform.put(secret, value);
            }
        }
        return new ComponentSettings(component, platform);
    }

    /** {@code db.password} → {@code FLEETSHARD_DB_PASSWORD}, as the chart names secret variables. */
    static String envName(String key) {
        return "FLEETSHARD_" + key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** How this component's Kafka clients reach the brokers: the platform's {@code kafka.*} security keys, checked. */
    KafkaClientSecurity kafkaSecurity() {
        return KafkaClientSecurity.fromMap(platform);
    }

    /**
     * The component's keys with the platform's Kafka client security keys added (a key the component sets itself
     * wins), for the workers whose config classes read {@code kafka.*} keys themselves.
     */
    Map<String, String> componentWithKafkaSecurity() {
        Map<String, String> all = new LinkedHashMap<>();
        platform.forEach((k, v) -> {
            if (KafkaClientSecurity.isKey(k)) {
                all.put(k, v);
            }
        });
        all.putAll(component);
        return all;
    }

    String platform(String key, String fallback) {
        String v = platform.get(key);
        return v == null || v.isBlank() ? fallback : v;
    }

    String requirePlatform(String key, String component) {
        String v = platform.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(component + " needs '" + key + "' in the platform file (--platform)");
        }
        return v;
    }

    int adminPort(int fallback) {
        String v = platform("admin.port", Integer.toString(fallback));
        try {
            int port = Integer.parseInt(v);
            if (port < 0 || port > 65_535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("admin.port must be a port number (0 for any free port), got '" + v + "'");
        }
    }

    /** How long a start keeps trying while Kafka does not answer, in ms (0: one attempt). */
    long startKafkaWaitMs(long fallback) {
        String v = platform(START_KAFKA_WAIT_KEY, Long.toString(fallback));
        try {
            long ms = Long.parseLong(v.trim());
            if (ms < 0) {
                throw new NumberFormatException();
            }
            return ms;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(START_KAFKA_WAIT_KEY + " must be a number of milliseconds >= 0, got '"
                    + v + "'");
        }
    }

    private static Map<String, String> read(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : new TreeSet<>(p.stringPropertyNames())) {
            out.put(name, p.getProperty(name).trim());
        }
        return out;
    }
}
