package io.fleetshard.launcher;

import io.fleetshard.cdc.ChangeTail;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code fleetshard tail}: change events of one logical table as JSON lines, one per event. */
final class TailCommand {
    static final String USAGE = """
            usage: fleetshard tail --table TABLE [--tenant T] [--fleet F] [--from-beginning] [--max N]
                                   [--bootstrap HOST:PORT] [--data-dir DIR]
              --table TABLE        logical table: vehicles, telemetry (topic fleetshard.cdc.TABLE)
              --tenant T, --fleet F   only this tenant's / fleet's changes (--fleet needs --tenant)
              --from-beginning     from the oldest retained event (default: new events only)
              --max N              stop after N events (default: until Ctrl-C)
              --bootstrap          Kafka bootstrap servers (default: the running dev platform's broker,
                                   read from DIR/ports.properties, DIR = .fleetshard/dev)""";

    private TailCommand() {
    }

    /** Parsed options: the tail's own and where Kafka is. */
    record Parsed(ChangeTail.Options options, String bootstrapServers) {
    }

    static Parsed parse(List<String> args) {
        String table = null;
        Optional<String> tenant = Optional.empty();
        Optional<String> fleet = Optional.empty();
        boolean fromBeginning = false;
        long max = 0;
        String bootstrap = null;
        Path dataDir = Path.of(".fleetshard", "dev");
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--from-beginning")) {
                fromBeginning = true;
                continue;
            }
            if (!List.of("--table", "--tenant", "--fleet", "--max", "--bootstrap", "--data-dir").contains(a)) {
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
        return new Parsed(new ChangeTail.Options(table, tenant, fleet, fromBeginning, max, null), bootstrap);
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
        ChangeTail tail = new ChangeTail(parsed.bootstrapServers(), "fleetshard.cdc.", parsed.options());
        Runtime.getRuntime().addShutdownHook(new Thread(tail::close, "fleetshard-tail-stop"));
        try {
            tail.run(System.out);
        } finally {
            tail.release();
        }
        return 0;
    }
}
