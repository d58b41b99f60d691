package io.fleetshard.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Options of {@code fleetshard dev}, parsed and checked at once: every problem is reported together.
 *
 * @param dataDir where every embedded service keeps its data (kept across restarts)
 * @param fresh delete the data directory first
 * @param routerPort router HTTP port
 * @param controlPort control-API HTTP port
 */
public record DevOptions(Path dataDir, boolean fresh, int routerPort, int controlPort) {
    static final String USAGE = """
            usage: fleetshard dev [--fresh] [--data-dir DIR] [--router-port PORT] [--control-port PORT]
              --fresh              start from empty data (deletes DIR first)
              --data-dir DIR       data of every embedded service (default .fleetshard/dev)
              --router-port PORT   router HTTP port (default 8080)
              --control-port PORT  control-API HTTP port (default 8081)""";

    static DevOptions parse(List<String> args) {
        Path dataDir = Path.of(".fleetshard", "dev");
        boolean fresh = false;
        int routerPort = 8080;
        int controlPort = 8081;
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--fresh" -> fresh = true;
                case "--data-dir", "--router-port", "--control-port" -> {
                    if (i + 1 >= args.size()) {
                        problems.add(a + " needs a value");
                        continue;
                    }
                    String v = args.get(++i);
                    if (a.equals("--data-dir")) {
                        dataDir = Path.of(v);
                    } else {
                        int port = parsePort(a, v, problems);
                        if (a.equals("--router-port")) {
                            routerPort = port;
                        } else {
                            controlPort = port;
                        }
                    }
                }
                default -> problems.add("unknown option " + a);
            }
        }
        if (routerPort == controlPort && routerPort != 0) {
            problems.add("--router-port and --control-port must differ, both are " + routerPort);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + "\n" + USAGE);
        }
        return new DevOptions(dataDir.toAbsolutePath().normalize(), fresh, routerPort, controlPort);
    }

    private static int parsePort(String option, String value, List<String> problems) {
        try {
            int port = Integer.parseInt(value);
            if (port < 0 || port > 65535) {
                problems.add(option + " must be a port between 0 and 65535, got " + value);
            }
            return port;
        } catch (NumberFormatException e) {
            problems.add(option + " must be a number, got '" + value + "'");
            return -1;
        }
    }
}
