package io.fleetshard.launcher;

import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchiveException;
import io.fleetshard.archive.format.KmsTenantKeys;
import io.fleetshard.archive.format.LocalKeyDirectory;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.standby.PointInTimeRestore;
import io.fleetshard.standby.RestoreProgress;
import io.fleetshard.standby.RestoreSummary;
import io.fleetshard.standby.StandbyApplierConfig;
import io.fleetshard.standby.StandbyException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * {@code fleetshard restore --shard S --to-time T --target JDBC_URL}: builds a fresh database as the shard was at
 * {@code T}, from the newest base snapshot before {@code T} and the archive after it, printing progress.
 */
final class RestoreCommand {
    static final String USAGE = """
            usage: fleetshard restore --shard S --to-time T --target JDBC_URL [--target-user U] [--target-password P]
                                      [archive options, see: fleetshard archive --help]
              --to-time T      ISO-8601 instant (2026-12-02T05:30:00Z) or epoch milliseconds; changes committed at
                               or before T are restored, none after
              --target URL     an empty database (tables are created from the snapshot's columns when missing;
                               without a snapshot they must exist); the user must bypass row-level security
              --key-dir DIR    local per-tenant keys (<dir>/<tenant>/<version>.key) that open sealed tenants' records;
                               default for the dev platform's archive: <data-dir>/archive-keys when it exists
              --kms-key-pattern P  open sealed records with AWS KMS keys named P, e.g. alias/fleetshard-tenant-{tenant}
                               (the SDK's default region and credentials)
              --output json    no progress lines; the result as one JSON object""";
    private static final long PROGRESS_EVERY_MS = 1_000;

    private RestoreCommand() {
    }

    /** {@code --output json}: what a restore did, as one object (times as ISO-8601 instants, null when none). */
    static com.fasterxml.jackson.databind.node.ObjectNode summaryJson(RestoreSummary s) {
        com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode().put("shardId", s.shardId()).put("toTime", Instant.ofEpochMilli(s.toTimeMs())
                        .toString());
        if (s.snapshotSeq() == 0) {
            o.putNull("snapshotAfterManifest");
        } else {
            o.put("snapshotAfterManifest", s.snapshotSeq());
        }
        o.put("snapshotRows", s.snapshotRows()).put("manifestsReplayed", s.manifestsReplayed())
                .put("eventsReplayed", s.eventsReplayed());
        if (s.restoredToCommitTsMs() == 0) {
            o.putNull("restoredToCommit");
        } else {
            o.put("restoredToCommit", Instant.ofEpochMilli(s.restoredToCommitTsMs()).toString());
        }
        return o.put("durationMs", s.durationMs());
    }

    static long parseTime(String text) {
        if (text.matches("\\d{1,15}")) {
            return Long.parseLong(text);
        }
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--to-time must be an ISO-8601 instant such as 2026-12-02T05:30:00Z or "
                    + "epoch milliseconds, got '" + text + "'");
        }
    }

    /** The keys that open sealed tenants' records (ADR 0025); none: a sealed record stops the restore naming its key. */
    static ArchiveEncryption keys(String keyDir, String kmsPattern, List<String> args) {
        if (keyDir != null && kmsPattern != null) {
            throw new IllegalArgumentException("--key-dir and --kms-key-pattern exclude each other\n" + USAGE);
        }
        if (kmsPattern != null) {
            return ArchiveEncryption.readOnly(KmsTenantKeys.connect(null, null, null, null, kmsPattern));
        }
        if (keyDir != null) {
            return ArchiveEncryption.readOnly(new LocalKeyDirectory(Path.of(keyDir)));
        }
        // the dev platform's archive (as ArchiveCommand.parseTarget finds it): its keys, if it made any
        if (!args.contains("--s3-endpoint") && !args.contains("--region")) {
            int d = args.indexOf("--data-dir");
            Path devKeys = Path.of(d >= 0 && d + 1 < args.size() ? args.get(d + 1) : ".fleetshard/dev", "archive-keys");
            if (Files.isDirectory(devKeys)) {
                return ArchiveEncryption.readOnly(new LocalKeyDirectory(devKeys));
            }
        }
        return ArchiveEncryption.NONE;
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        ArchiveCommand.Target target = ArchiveCommand.parseTarget(args,
                List.of("--to-time", "--target", "--target-user", "--target-password", "--output", "--key-dir",
                        "--kms-key-pattern"), USAGE);
        String output = target.rest().getOrDefault("--output", "text");
        if (!output.equals("text") && !output.equals("json")) {
            throw new IllegalArgumentException("--output must be text or json, got '" + output + "'");
        }
        boolean json = output.equals("json");
        String toTime = target.rest().get("--to-time");
        String jdbcUrl = target.rest().get("--target");
        if (toTime == null || jdbcUrl == null) {
            throw new IllegalArgumentException((toTime == null ? "--to-time is required; " : "")
                    + (jdbcUrl == null ? "--target is required" : "") + "\n" + USAGE);
        }
        if (!jdbcUrl.startsWith("jdbc:postgresql:") && !jdbcUrl.startsWith("jdbc:mariadb:") && !jdbcUrl.startsWith("jdbc:mysql:")) {
            throw new IllegalArgumentException("--target must be a jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql: URL\n" + USAGE);
        }
        long toTimeMs = parseTime(toTime);
        StandbyApplierConfig.Builder config = StandbyApplierConfig.builder();
        if (target.rest().containsKey("--target-user")) {
            config.set(StandbyApplierConfig.Key.DB_USER, target.rest().get("--target-user"));
        }
        if (target.rest().containsKey("--target-password")) {
            config.set(StandbyApplierConfig.Key.DB_PASSWORD, target.rest().get("--target-password"));
        }
        long[] lastPrint = {0};
        RestoreProgress.Listener progress = p -> {
            if (json) {
                return;
            }
            long now = System.currentTimeMillis();
            if (p.phase() == RestoreProgress.Phase.DONE || p.phase() == RestoreProgress.Phase.PLANNING
                    || now - lastPrint[0] >= PROGRESS_EVERY_MS) {
                lastPrint[0] = now;
                out.printf("  %-16s manifests %d/%d, rows %d/%d%n", p.phase().name().toLowerCase(java.util.Locale.ROOT),
                        p.manifestsDone(), p.manifestsTotal(), p.rowsDone(), p.rowsTotal());
            }
        };
        if (!json) {
            out.printf("restoring shard %s as of %s into %s%n", target.path().shardId(), Instant.ofEpochMilli(toTimeMs),
                    jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1******"));
        }
        ArchiveEncryption keys = keys(target.rest().get("--key-dir"), target.rest().get("--kms-key-pattern"), args);
        try (S3ArchiveStore store = target.open()) {
            RestoreSummary s = new PointInTimeRestore(store, config.build(), keys, Clock.systemUTC())
                    .restore(target.path(), jdbcUrl, toTimeMs, progress);
            if (json) {
                out.println(summaryJson(s).toPrettyString());
                return 0;
            }
            out.printf("restored shard %s: %s, %d manifests and %d events replayed, state as of commit %s, in %d ms%n",
                    s.shardId(), s.snapshotSeq() == 0 ? "no base snapshot" : "base snapshot after manifest "
                            + s.snapshotSeq() + " (" + s.snapshotRows() + " rows)", s.manifestsReplayed(),
                    s.eventsReplayed(), s.restoredToCommitTsMs() == 0 ? "-" : Instant.ofEpochMilli(s.restoredToCommitTsMs()),
                    s.durationMs());
            return 0;
        } catch (ArchiveException | StandbyException e) {
            err.println("fleetshard restore: " + e.getMessage());
            return 1;
        }
    }
}
