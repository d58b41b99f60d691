package io.fleetshard.launcher;

import java.util.Arrays;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Entry point of the {@code fleetshard} command: the one place that wires components together. */
public final class FleetShardCommand {
    private static final String USAGE = """
            usage: fleetshard <command> [options]
              dev      run the whole platform on this machine: embedded Kafka, PostgreSQL and MariaDB shards,
                       S3 and DynamoDB, the control API and the router, with a demo tenant (dev --help)
              tail     print a table's change events as JSON lines (tail --help)
              archive  list or verify a shard's S3 archive: archive ls|verify --shard S (archive --help)
              restore  point-in-time restore of a shard from S3: restore --shard S --to-time T --target JDBC_URL
              reshard  move a fleet, split or merge shards online, follow or cancel a job (reshard --help)
              failover fail a shard over whose primary is down: failover --shard S (failover --help)
              switchover  move a shard's primary role to a replica as planned: switchover --shard S [--to N]
              failback  make a failed, rebuilt primary the primary again: failback --shard S [--node N]
              rejoin   make a fenced, rebuilt node a replica in the map: rejoin --shard S [--node N]
              promote-standby  disaster recovery: the warm standby becomes the primary: promote-standby --shard S
              orchestrations  failovers, switchovers, failbacks with every step: orchestrations [ID]
              run      one component, as a deployment runs it: run <component> --config F --platform F (run --help)
              sql      query the Iceberg tables with Spark SQL: sql "SELECT ..." (sql --help)
              offload  delete cold rows the Iceberg table holds from the shards: offload --table T --older-than 90d
              token    print a token for the dev platform: token --role ROLE [--tenant T] (token --help)
              schema   install the fleet schema on a new shard's primary: schema install --jdbc-url URL
              completion  bash completion: source <(./fleetshard completion bash)
              help     this text""";

    private FleetShardCommand() {
    }

    /**
     * What {@code fleetshard run <component> ... --check} does, for tools that validate deployment files (the Helm
     * chart's tests): parses the component's configuration and platform files as {@code run} would, with secrets from
     * {@code env}, without starting anything. Returns a line naming the keys given.
     *
     * @throws IllegalArgumentException what is wrong, as {@code run} would say it
     */
    public static String checkRun(List<String> args, java.util.Map<String, String> env) {
        return RunCommand.check(args, env);
    }

    public static void main(String[] args) {
        List<String> rest = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        String command = args.length == 0 ? "help" : args[0];
        int exit;
        try {
            exit = switch (command) {
                case "dev" -> runDev(rest);
                case "tail" -> TailCommand.run(rest);
                case "archive" -> ArchiveCommand.run(rest, System.out, System.err);
                case "restore" -> RestoreCommand.run(rest, System.out, System.err);
                case "reshard" -> ReshardCommand.run(rest, System.out, System.err);
                case "failover", "switchover", "failback", "rejoin", "promote-standby", "orchestrations" ->
                        FailoverCommand.run(command, rest, System.out,
                        System.err);
                case "completion" -> CompletionCommand.run(rest, System.out, System.err);
                case "token" -> TokenCommand.run(rest, System.out, System.err);
                case "schema" -> SchemaCommand.run(rest, System.getenv(), System.out, System.err);
                case "run" -> {
                    if (rest.contains("--help") || rest.contains("-h")) {
                        System.out.println(RunCommand.USAGE);
                        yield 0;
                    }
                    yield RunCommand.run(rest, System.out, System.err);
                }
                case "sql" -> SqlCommand.run(rest, System.out, System.err);
                case "offload" -> OffloadCommand.run(rest, System.out, System.err);
                case "help", "--help", "-h" -> {
                    System.out.println(USAGE);
                    yield 0;
                }
                default -> {
                    System.err.println("fleetshard: unknown command '" + command + "'\n" + USAGE);
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            System.err.println("fleetshard " + command + ": " + e.getMessage());
            exit = 2;
        }
        System.exit(exit);
    }

    private static int runDev(List<String> args) {
        if (args.contains("--help") || args.contains("-h")) {
            System.out.println(DevOptions.USAGE);
            return 0;
        }
        DevOptions options = DevOptions.parse(args);
        DevPlatform platform = new DevPlatform(options);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopDev(platform), "fleetshard-dev-shutdown"));
        try {
            platform.start();
        } catch (RuntimeException e) {
            if (platform.closing()) {
                return 130; // Ctrl-C while starting: the shutdown hook stops what had started, quietly
            }
            System.err.println("fleetshard dev: failed to start: " + e.getMessage());
            if (!(e instanceof io.fleetshard.cdc.CaptureException)) { // that one's message says it all
                e.printStackTrace(System.err);
            }
            return 1;
        }
        platform.printEndpoints(System.out);
        platform.awaitShutdown();
        return 0;
    }

    /**
     * Ctrl-C (or any JVM exit): stops the platform in order and says so in one line. Each component's own "stopped"
     * (info) is not shown then, nor the Kafka broker's and clients' warnings about connections closing as they all
     * stop; other warnings and errors still are.
     */
    private static void stopDev(DevPlatform platform) {
        quietLogs();
        long t0 = System.nanoTime();
        platform.close();
        System.out.printf("FleetShard dev stopped (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
        System.out.flush();
    }

    private static void quietLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.getLogger("io.fleetshard").setLevel(ch.qos.logback.classic.Level.WARN);
            context.getLogger("org.apache.kafka").setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }
}
