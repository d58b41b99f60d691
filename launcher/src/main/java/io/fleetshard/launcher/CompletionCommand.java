package io.fleetshard.launcher;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * {@code fleetshard completion bash}: a bash completion script for the commands, their verbs and options
 * ({@code source <(./fleetshard completion bash)}).
 */
final class CompletionCommand {
    /** Each command, with the words that may follow it: verbs and options. */
    static final Map<String, List<String>> WORDS = Map.ofEntries(
            Map.entry("dev", List.of("--fresh", "--data-dir", "--router-port", "--control-port", "--help")),
            Map.entry("tail", List.of("--table", "--tenant", "--fleet", "--from-beginning", "--max", "--bootstrap",
                    "--platform", "--data-dir", "--help")),
            Map.entry("archive", List.of("ls", "verify", "--shard", "--audit", "--audit-topic", "--tier", "--bucket", "--s3-endpoint", "--region",
                    "--access-key", "--secret-key", "--data-dir", "--output", "--help")),
            Map.entry("restore", List.of("--shard", "--to-time", "--target", "--target-user", "--target-password",
                    "--key-dir", "--kms-key-pattern", "--output", "--help")),
            Map.entry("reshard", List.of("move", "split", "merge", "status", "pause", "resume", "cancel", "--fleet",
                    "--to", "--shard", "--into", "--control-api", "--token", "--data-dir", "--no-watch", "--output",
                    "--help")),
            Map.entry("failover", List.of("--shard", "--reason", "--control-api", "--token", "--data-dir",
                    "--no-watch", "--output", "--help")),
            Map.entry("switchover", List.of("--shard", "--to", "--reason", "--control-api", "--token", "--data-dir",
                    "--no-watch", "--output", "--help")),
            Map.entry("failback", List.of("--shard", "--node", "--reason", "--control-api", "--token", "--data-dir",
                    "--no-watch", "--output", "--help")),
            Map.entry("rejoin", List.of("--shard", "--node", "--reason", "--control-api", "--token", "--data-dir",
                    "--no-watch", "--output", "--help")),
            Map.entry("promote-standby", List.of("--shard", "--force", "--reason", "--control-api", "--token",
                    "--data-dir", "--no-watch", "--output", "--help")),
            Map.entry("orchestrations", List.of("--control-api", "--token", "--data-dir", "--output", "--help")),
            Map.entry("sql", List.of("--format", "--max-rows", "--namespace", "--data-dir", "--catalog-uri",
                    "--warehouse", "--s3-endpoint", "--region", "--help")),
            Map.entry("offload", List.of("--table", "--older-than", "--dry-run", "--batch-size", "--rate", "--output",
                    "--namespace", "--data-dir", "--shard", "--catalog-uri", "--warehouse", "--s3-endpoint", "--region",
                    "--help")),
            Map.entry("token", List.of("--role", "--tenant", "--ttl", "--subject", "--data-dir", "--output", "--help")),
            Map.entry("schema", List.of("install", "--jdbc-url", "--data-dir", "--help")),
            Map.entry("run", List.of("router", "control-api", "capture", "archiver", "standby-applier", "stream-processors",
                    "iceberg-sink", "--config",
                    "--platform", "--set", "--check", "--help")),
            Map.entry("completion", List.of("bash")),
            Map.entry("test", List.of()),
            Map.entry("help", List.of()));

    private CompletionCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1 || !args.get(0).equals("bash")) {
            err.println("usage: fleetshard completion bash   (then: source <(./fleetshard completion bash))");
            return 2;
        }
        out.print(bashScript());
        return 0;
    }

    static String bashScript() {
        StringBuilder cases = new StringBuilder();
        WORDS.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> cases.append("    ")
                .append(e.getKey()).append(") words=\"").append(String.join(" ", e.getValue())).append("\" ;;\n"));
        String commands = String.join(" ", WORDS.keySet().stream().sorted().toList());
        return """
                # bash completion for fleetshard: source <(./fleetshard completion bash)
                _fleetshard() {
                  local cur="${COMP_WORDS[COMP_CWORD]}" words=""
                  if [ "$COMP_CWORD" -eq 1 ]; then
                    COMPREPLY=($(compgen -W "%s" -- "$cur"))
                    return
                  fi
                  case "${COMP_WORDS[1]}" in
                %s  esac
                  case "${COMP_WORDS[COMP_CWORD-1]}" in
                    --format) words="table tsv json" ;;
                    --output) words="text json" ;;
                    --table) words="vehicles telemetry" ;;
                    --role) words="admin operator tenant-writer tenant-reader" ;;
                  esac
                  COMPREPLY=($(compgen -W "$words" -- "$cur"))
                }
                complete -F _fleetshard fleetshard ./fleetshard
                """.formatted(commands, cases);
    }
}
