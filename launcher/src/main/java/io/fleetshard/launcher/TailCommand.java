package io.fleetshard.launcher;

import io.fleetshard.cdc.ChangeTail;
import io.fleetshard.config.KafkaClientSecurity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code fleetshard tail}: change events of one logical table as JSON lines, one per event. */
final class TailCommand {
    static final String USAGE = """
            usage: fleetshard tail --table TABLE [--tenant T] [--fleet F] [--from-beginning] [--max N]
                                   [--bootstrap HOST:PORT | --platform FILE] [--data-dir DIR]
              --table TABLE        logical table: vehicles, telemetry (topic fleetshard.cdc.TABLE)
              --tenant T, --fleet F   only this tenant's / fleet's changes (--fleet needs --tenant)
              --from-beginning     from the oldest retained event (default: new events only)
              --max N              stop after N events (default: until Ctrl-C)
              --bootstrap          Kafka bootstrap servers (default: the running dev platform's broker,
                                   read from DIR/ports.properties, DIR = .fleetshard/dev)
              --platform FILE      a `fleetshard run` platform file: its kafka.bootstrap.servers and Kafka client
                                   security keys (kafka.security.protocol, kafka.ssl.*, kafka.sasl.*; passwords
                                   from FLEETSHARD_KAFKA_* variables)""";

    private TailCommand() {
    }

    /** Parsed options: the tail's own, where Kafka is and how to reach it (TLS/SASL: ADR 0027). */
    record Parsed(ChangeTail.Options options, String bootstrapServers, KafkaClientSecurity security) {
    }

    static Parsed parse(List<String> args) {
        return parse(args, System.getenv());
    }

    static Parsed parse(List<String> args, Map<String, String> env) {
        String table = null;
        Optional<String> tenant = Optional.empty();
        Optional<String> fleet = Optional.empty();
        boolean fromBeginning = false;
        long max = 0;
        String bootstrap = null;
        Path platform = null;
        Path dataDir = Path.of(".fleetshard", "dev");
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--from-beginning")) {
                fromBeginning = true;
                continue;
            }
            if (!List.of("--table", "--tenant", "--fleet", "--max", "--bootstrap", "--platform", "--data-dir").contains(a)) {
                problems.add("unknown option " + a);
                continue;
            }
            if (i + 1 >= args.size()) {
                problems.add(a + " needs a value");
                continue;
            }
            String v = args.get(++i);
            switch (a) {
                case "--table" -> table = v;
                case "--tenant" -> tenant = Optional.of(v);
                case "--fleet" -> fleet = Optional.of(v);
                case "--bootstrap" -> bootstrap = v;
                case "--platform" -> platform = Path.of(v);
                case "--data-dir" -> dataDir = Path.of(v);
                default -> {
                    try {
                        max = Long.parseLong(v);
                    } catch (NumberFormatException e) {
                        problems.add("--max must be a number, got '" + v + "'");
                    }
                }
            }
        }
        if (table == null) {
            problems.add("--table is required");
        }
        KafkaClientSecurity security = KafkaClientSecurity.plaintext();
        if (platform != null && problems.isEmpty()) {
            try {
                ComponentSettings s = ComponentSettings.load(null, platform, Map.of(), env, List.of());
                security = s.kafkaSecurity();
                bootstrap = bootstrap != null ? bootstrap : s.platform("kafka.bootstrap.servers", null);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (bootstrap == null && problems.isEmpty()) {
            bootstrap = devBroker(dataDir);
            if (bootstrap == null) {
                problems.add("no --bootstrap given and no dev platform data in " + dataDir.toAbsolutePath()
                        + " (start ./fleetshard dev, or pass --bootstrap HOST:PORT)");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + "\n" + USAGE);
        }
        return new Parsed(new ChangeTail.Options(table, tenant, fleet, fromBeginning, max, null), bootstrap, security);
    }

    private static String devBroker(Path dataDir) {
        return DevPorts.recorded(dataDir, "kafka").map(port -> "127.0.0.1:" + port).orElse(null);
    }

    static int run(List<String> args) {
        if (args.contains("--help") || args.contains("-h")) {
            System.out.println(USAGE);
            return 0;
        }
        Parsed parsed = parse(args);
        // the events are the output (stdout, where the log goes too): a Kafka client's connection warnings would be
        // mixed into them, one every few hundred milliseconds while the broker does not answer
        quietKafkaClientLogs();
        ChangeTail tail = new ChangeTail(parsed.bootstrapServers(), parsed.security().clientProperties(),
                "fleetshard.cdc.", parsed.options());
        Runtime.getRuntime().addShutdownHook(new Thread(tail::close, "fleetshard-tail-stop"));
        try {
            tail.run(System.out);
        } catch (RuntimeException e) {
            String line = failureLine(e, parsed.bootstrapServers());
            if (line == null) {
                throw e;
            }
            System.err.println(line);
            return 1;
        } finally {
            tail.release();
        }
        return 0;
    }

    /**
     * The one line {@code tail} prints for a failure the user can fix (a table that is not captured, a broker that
     * does not answer), or null for anything else (a bug: its stack trace is worth having).
     */
    static String failureLine(RuntimeException e, String bootstrapServers) {
        if (e instanceof io.fleetshard.cdc.CaptureException) {
            return "fleetshard tail: " + e.getMessage();
        }
        if (e instanceof org.apache.kafka.common.errors.TimeoutException) {
            return "fleetshard tail: the Kafka broker at " + bootstrapServers + " did not answer (" + e.getMessage()
                    + "); is `./fleetshard dev` running? else pass --bootstrap HOST:PORT or --platform FILE";
        }
        if (e instanceof org.apache.kafka.common.KafkaException) {
            return "fleetshard tail: Kafka at " + bootstrapServers + " refused: " + e.getMessage();
        }
        return null;
    }

    private static void quietKafkaClientLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.getLogger("org.apache.kafka").setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }
}
