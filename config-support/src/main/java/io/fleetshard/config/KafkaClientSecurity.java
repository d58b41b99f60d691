package io.fleetshard.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How every Kafka client of a component reaches the brokers: the {@code kafka.security.protocol},
 * {@code kafka.ssl.*} and {@code kafka.sasl.*} keys, checked once here and merged into every producer, consumer,
 * admin client, Debezium internal client and Kafka Streams configuration through {@link #clientProperties()}
 * (ADR 0027). The default, {@code PLAINTEXT}, adds nothing to a client's configuration.
 *
 * <p>Passwords and the JAAS configuration are secrets: {@link #toString()} masks them, and the launcher reads them
 * from {@code FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD} and the like ({@link #SECRET_KEYS}).
 */
public record KafkaClientSecurity(
        String protocol,
        String truststoreLocation,
        String truststorePassword,
        String truststoreType,
        String keystoreLocation,
        String keystorePassword,
        String keystoreType,
        String keyPassword,
        String endpointIdentificationAlgorithm,
        String saslMechanism,
        String saslJaasConfig,
        String saslClientCallbackHandlerClass) {

    /** The protocols a Kafka client speaks ({@code security.protocol}). */
    public static final List<String> PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    private static final Set<String> STORE_TYPES = Set.of("JKS", "PKCS12", "PEM");

    /** Every key with its default and meaning. */
    public enum Key implements ConfigKey {
        SECURITY_PROTOCOL("kafka.security.protocol", "PLAINTEXT", "How clients reach the brokers: PLAINTEXT, SSL (TLS, MSK port 9094), SASL_SSL (MSK IAM, port 9098) or SASL_PLAINTEXT."),
        TRUSTSTORE_LOCATION("kafka.ssl.truststore.location", "", "Trust store with the CA certificates the brokers' certificates are checked against; empty: the JVM's default trust (public CAs, e.g. MSK's)."),
        TRUSTSTORE_PASSWORD("kafka.ssl.truststore.password", "", "Password of the trust store (secret: FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD); required with a JKS/PKCS12 trust store."),
        TRUSTSTORE_TYPE("kafka.ssl.truststore.type", "PKCS12", "JKS, PKCS12 or PEM."),
        KEYSTORE_LOCATION("kafka.ssl.keystore.location", "", "Key store with the client's key and certificate for mutual TLS; empty: no client certificate."),
        KEYSTORE_PASSWORD("kafka.ssl.keystore.password", "", "Password of the key store (secret: FLEETSHARD_KAFKA_SSL_KEYSTORE_PASSWORD); required with a JKS/PKCS12 key store."),
        KEYSTORE_TYPE("kafka.ssl.keystore.type", "PKCS12", "JKS, PKCS12 or PEM."),
        KEY_PASSWORD("kafka.ssl.key.password", "", "Password of the private key when it differs from the key store's (secret: FLEETSHARD_KAFKA_SSL_KEY_PASSWORD)."),
        ENDPOINT_IDENTIFICATION_ALGORITHM("kafka.ssl.endpoint.identification.algorithm", "https", "https: the broker's certificate must name the host the client connects to; empty: not checked (test brokers only)."),
        SASL_MECHANISM("kafka.sasl.mechanism", "", "SASL mechanism with SASL_* protocols, e.g. AWS_MSK_IAM, SCRAM-SHA-512."),
        SASL_JAAS_CONFIG("kafka.sasl.jaas.config", "", "JAAS login of the SASL mechanism (secret: FLEETSHARD_KAFKA_SASL_JAAS_CONFIG), e.g. software.amazon.msk.auth.iam.IAMLoginModule required;"),
        SASL_CLIENT_CALLBACK_HANDLER_CLASS("kafka.sasl.client.callback.handler.class", "", "SASL client callback handler, e.g. software.amazon.msk.auth.iam.IAMClientCallbackHandler (its jar must be on the class path).");

        private final String key;
        private final String defaultValue;
        private final String doc;

        Key(String key, String defaultValue, String doc) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.doc = doc;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public String defaultValue() {
            return defaultValue;
        }

        @Override
        public String doc() {
            return doc;
        }

        /** The Kafka client property this key sets: its name without {@code kafka.}. */
        public String clientProperty() {
            return key.substring("kafka.".length());
        }
    }

    /** Keys whose values are secrets: never printed, read from {@code FLEETSHARD_<KEY>} by the launcher. */
    public static final List<String> SECRET_KEYS = List.of(Key.TRUSTSTORE_PASSWORD.key, Key.KEYSTORE_PASSWORD.key,
            Key.KEY_PASSWORD.key, Key.SASL_JAAS_CONFIG.key);

    public KafkaClientSecurity {
        protocol = protocol == null ? "" : protocol.trim().toUpperCase(Locale.ROOT);
        truststoreLocation = blankToEmpty(truststoreLocation);
        truststorePassword = blankToEmpty(truststorePassword);
        truststoreType = blankToEmpty(truststoreType).toUpperCase(Locale.ROOT);
        keystoreLocation = blankToEmpty(keystoreLocation);
        keystorePassword = blankToEmpty(keystorePassword);
        keystoreType = blankToEmpty(keystoreType).toUpperCase(Locale.ROOT);
        keyPassword = blankToEmpty(keyPassword);
        endpointIdentificationAlgorithm = blankToEmpty(endpointIdentificationAlgorithm);
        saslMechanism = blankToEmpty(saslMechanism);
        saslJaasConfig = blankToEmpty(saslJaasConfig);
        saslClientCallbackHandlerClass = blankToEmpty(saslClientCallbackHandlerClass);

        ConfigProblems problems = new ConfigProblems();
        if (!PROTOCOLS.contains(protocol)) {
            problems.add(Key.SECURITY_PROTOCOL.key + " must be one of " + String.join(", ", PROTOCOLS) + ", got '"
                    + protocol + "'");
        }
        boolean tls = protocol.endsWith("SSL");
        boolean sasl = protocol.startsWith("SASL_");
        store(problems, tls, Key.TRUSTSTORE_LOCATION, truststoreLocation, Key.TRUSTSTORE_PASSWORD, truststorePassword,
                Key.TRUSTSTORE_TYPE, truststoreType, "the CA certificates of the brokers");
        store(problems, tls, Key.KEYSTORE_LOCATION, keystoreLocation, Key.KEYSTORE_PASSWORD, keystorePassword,
                Key.KEYSTORE_TYPE, keystoreType, "the client's key and certificate");
        if (!keyPassword.isEmpty() && keystoreLocation.isEmpty()) {
            problems.add(Key.KEY_PASSWORD.key + " is set but " + Key.KEYSTORE_LOCATION.key + " is not");
        }
        if (!endpointIdentificationAlgorithm.isEmpty() && !endpointIdentificationAlgorithm.equalsIgnoreCase("https")) {
            problems.add(Key.ENDPOINT_IDENTIFICATION_ALGORITHM.key + " must be https or empty, got '"
                    + endpointIdentificationAlgorithm + "'");
        }
        if (sasl && saslMechanism.isEmpty()) {
            problems.add(Key.SASL_MECHANISM.key + " is required with " + Key.SECURITY_PROTOCOL.key + "=" + protocol);
        }
        if (!sasl && PROTOCOLS.contains(protocol)) {
            for (Key k : List.of(Key.SASL_MECHANISM, Key.SASL_JAAS_CONFIG, Key.SASL_CLIENT_CALLBACK_HANDLER_CLASS)) {
                if (!value(k, saslMechanism, saslJaasConfig, saslClientCallbackHandlerClass).isEmpty()) {
                    problems.add(k.key + " is set but " + Key.SECURITY_PROTOCOL.key + " is " + protocol
                            + " (SASL_SSL or SASL_PLAINTEXT use it)");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
    }

    private static String value(Key k, String mechanism, String jaas, String handler) {
        return switch (k) {
            case SASL_MECHANISM -> mechanism;
            case SASL_JAAS_CONFIG -> jaas;
            default -> handler;
        };
    }

    private static void store(ConfigProblems problems, boolean tls, Key location, String path, Key password,
            String secret, Key type, String storeType, String holds) {
        if (!STORE_TYPES.contains(storeType)) {
            problems.add(type.key + " must be JKS, PKCS12 or PEM, got '" + storeType + "'");
        }
        if (path.isEmpty()) {
            if (!secret.isEmpty()) {
                problems.add(password.key + " is set but " + location.key + " is not");
            }
            return;
        }
        if (!tls) {
            problems.add(location.key + " is set but " + Key.SECURITY_PROTOCOL.key
                    + " does not use TLS (set SSL or SASL_SSL)");
        }
        Path file = Path.of(path);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            problems.add(location.key + " '" + path + "' is not a readable file (it should hold " + holds + ")");
        }
        if (secret.isEmpty() && !"PEM".equals(storeType)) {
            problems.add(password.key + " is required with " + location.key + " (file, or the environment variable "
                    + envName(password.key) + ")");
        }
    }

    private static String blankToEmpty(String s) {
        return s == null ? "" : s.trim();
    }

    /** {@code kafka.ssl.truststore.password} → {@code FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD}. */
    public static String envName(String key) {
        return "FLEETSHARD_" + key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Plain connections: nothing added to the clients' configuration. */
    public static KafkaClientSecurity plaintext() {
        return builder().build();
    }

    /** Whether {@code key} is one of {@link Key}. */
    public static boolean isKey(String key) {
        for (Key k : Key.values()) {
            if (k.key.equals(key)) {
                return true;
            }
        }
        return false;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The keys of {@link Key} in {@code values}; other keys are ignored. */
    public static KafkaClientSecurity fromMap(Map<String, String> values) {
        Builder b = builder();
        values.forEach(b::offer);
        return b.build();
    }

    /** Whether clients of this configuration use TLS. */
    public boolean tls() {
        return protocol.endsWith("SSL");
    }

    /**
     * The Kafka client properties to merge into a client's configuration: empty for {@code PLAINTEXT}, else
     * {@code security.protocol} and the {@code ssl.*}/{@code sasl.*} properties that are set.
     */
    public Map<String, String> clientProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        if (protocol.equals("PLAINTEXT")) {
            return p;
        }
        p.put(Key.SECURITY_PROTOCOL.clientProperty(), protocol);
        if (tls()) {
            if (!truststoreLocation.isEmpty()) {
                p.put(Key.TRUSTSTORE_LOCATION.clientProperty(), truststoreLocation);
                p.put(Key.TRUSTSTORE_TYPE.clientProperty(), truststoreType);
                putIfSet(p, Key.TRUSTSTORE_PASSWORD, truststorePassword);
            }
            if (!keystoreLocation.isEmpty()) {
                p.put(Key.KEYSTORE_LOCATION.clientProperty(), keystoreLocation);
                p.put(Key.KEYSTORE_TYPE.clientProperty(), keystoreType);
                putIfSet(p, Key.KEYSTORE_PASSWORD, keystorePassword);
                putIfSet(p, Key.KEY_PASSWORD, keyPassword);
            }
            p.put(Key.ENDPOINT_IDENTIFICATION_ALGORITHM.clientProperty(), endpointIdentificationAlgorithm);
        }
        putIfSet(p, Key.SASL_MECHANISM, saslMechanism);
        putIfSet(p, Key.SASL_JAAS_CONFIG, saslJaasConfig);
        putIfSet(p, Key.SASL_CLIENT_CALLBACK_HANDLER_CLASS, saslClientCallbackHandlerClass);
        return p;
    }

    /** {@link #clientProperties()} with every name prefixed, for clients configured through another's properties (Debezium's). */
    public Map<String, String> clientProperties(String prefix) {
        Map<String, String> p = new LinkedHashMap<>();
        clientProperties().forEach((k, v) -> p.put(prefix + k, v));
        return p;
    }

    private static void putIfSet(Map<String, String> p, Key key, String value) {
        if (!value.isEmpty()) {
            p.put(key.clientProperty(), value);
        }
    }

    /** The README table of the keys, rendered from {@link Key}. */
    public static String markdownTable() {
        return ConfigValues.markdownTable(Key.class);
    }

    @Override
    public String toString() { // never a password or the JAAS line
        StringBuilder sb = new StringBuilder("KafkaClientSecurity[").append(protocol);
        if (tls()) {
            sb.append(", truststore=").append(truststoreLocation.isEmpty() ? "(JVM default)"
                    : truststoreLocation + " (" + truststoreType + ")");
            if (!keystoreLocation.isEmpty()) {
                sb.append(", keystore=").append(keystoreLocation).append(" (").append(keystoreType).append(')');
            }
            sb.append(", hostname check=").append(endpointIdentificationAlgorithm.isEmpty() ? "off" : "on");
        }
        if (!saslMechanism.isEmpty()) {
            sb.append(", sasl=").append(saslMechanism).append(saslJaasConfig.isEmpty() ? "" : " (jaas ******)");
        }
        return sb.append(']').toString();
    }

    /** Every problem of a configuration; the message lists them all. */
    public static final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient ConfigProblems problems;

        Invalid(ConfigProblems problems) {
            super(problems.message("Kafka client security"));
            this.problems = problems;
        }

        /** The problems one by one, for a component that reports them with its own. */
        public List<String> problems() {
            return problems.list();
        }
    }

    /** Collects the keys; {@link #build()} validates them together. */
    public static final class Builder {
        private final ConfigValues<Key> values = ConfigValues.defaults(Key.class);

        private Builder() {
        }

        public Builder set(Key key, String value) {
            values.set(key, value);
            return this;
        }

        /** Takes {@code key} if it is one of {@link Key} and answers whether it did (a component's other-key hook). */
        public boolean offer(String key, String value) {
            for (Key k : Key.values()) {
                if (k.key.equals(key)) {
                    values.set(k, value);
                    return true;
                }
            }
            return false;
        }

        /**
         * Takes every {@link Key} of {@code given} (a component's {@code fromMap}) and answers the other entries, in
         * their order, for the component's own keys.
         */
        public Map<String, String> takeFrom(Map<String, String> given) {
            Map<String, String> rest = new LinkedHashMap<>();
            given.forEach((k, v) -> {
                if (!offer(k, v)) {
                    rest.put(k, v);
                }
            });
            return rest;
        }

        /** @throws Invalid listing every problem */
        public KafkaClientSecurity build() {
            return new KafkaClientSecurity(values.text(Key.SECURITY_PROTOCOL), values.text(Key.TRUSTSTORE_LOCATION),
                    values.text(Key.TRUSTSTORE_PASSWORD), values.text(Key.TRUSTSTORE_TYPE),
                    values.text(Key.KEYSTORE_LOCATION), values.text(Key.KEYSTORE_PASSWORD),
                    values.text(Key.KEYSTORE_TYPE), values.text(Key.KEY_PASSWORD),
                    values.text(Key.ENDPOINT_IDENTIFICATION_ALGORITHM), values.text(Key.SASL_MECHANISM),
                    values.text(Key.SASL_JAAS_CONFIG), values.text(Key.SASL_CLIENT_CALLBACK_HANDLER_CLASS));
        }

        /** Builds; on failure adds every problem to {@code problems} and answers {@link #plaintext()}. */
        public KafkaClientSecurity build(ConfigProblems problems) {
            try {
                return build();
            } catch (Invalid e) {
                problems.addAll(e.problems());
                return plaintext();
            }
        }
    }
}
