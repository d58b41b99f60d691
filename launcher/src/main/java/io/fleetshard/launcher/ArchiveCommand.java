package io.fleetshard.launcher;

import io.fleetshard.archive.format.ArchiveException;
import io.fleetshard.archive.format.ArchiveReader;
import io.fleetshard.archive.format.ArchiveStore;
import io.fleetshard.archive.format.ArchiveVerifier;
import io.fleetshard.archive.format.AuditChain;
import io.fleetshard.archive.format.S3ArchiveStore;
import io.fleetshard.archive.format.SegmentRef;
import io.fleetshard.archive.format.ShardArchivePath;
import io.fleetshard.archive.format.StoredManifest;
import io.fleetshard.archive.format.Watermark;
import io.fleetshard.testkit.S3Server;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code fleetshard archive ls|verify --shard S | --audit}: lists a shard's manifests and snapshots, or proves its
 * archive whole (every checksum and the hash chain; exit 1 at the first defect, naming the object); {@code --audit}
 * means the archive of the audit log, whose verify also walks the audit record chain.
 */
final class ArchiveCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String USAGE = """
            usage: fleetshard archive ls     --shard S | --audit [archive options]
                   fleetshard archive verify --shard S | --audit [archive options]
              ls       one line per manifest (seq, offsets, events, bytes, commit times, hash) and per base snapshot
              verify   checks every manifest link and segment checksum; exit 0 if whole, 1 at the first defect
              --audit  the archive of the control API's audit log instead of a shard's; verify also walks its record
                       hash chain (docs/spec/audit-chain.md) and prints the chain head
              --audit-topic T      the audit topic whose archive --audit means (default fleetshard.audit)
              --output json        one JSON object instead of text (verify: the same exit codes, the defect in it)
            archive options (defaults: the running dev platform's S3, read from DIR/ports.properties):
              --tier T             standard | enhanced | platinum (default standard)
              --bucket B           default fleetshard-archive
              --s3-endpoint URL    S3-compatible endpoint; AWS when --region is given without it
              --region R           default us-east-1
              --access-key K, --secret-key S   default: dev keys for the dev endpoint, else the AWS chain
              --data-dir DIR       default .fleetshard/dev""";

    /** The control API's audit topic unless {@code --audit-topic} names another (control.audit.topic). */
    static final String AUDIT_TOPIC = "fleetshard.audit";

    private ArchiveCommand() {
    }

    /** Where an archive is and whose: the parsed common options. */
    record Target(ShardArchivePath path, URI endpoint, String region, String accessKey, String secretKey, String bucket,
                  Map<String, String> rest) {
        S3ArchiveStore open() {
            return S3ArchiveStore.connect(endpoint, region, accessKey, secretKey, bucket);
        }
    }

    /**
     * Parses {@code --shard} and the archive options; other {@code --key value} pairs named in {@code extra} are
     * returned in {@link Target#rest}. Every problem is reported at once.
     */
    static Target parseTarget(List<String> args, List<String> extra, String usage) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        List<String> known = new ArrayList<>(List.of("--shard", "--tier", "--bucket", "--s3-endpoint", "--region",
                "--access-key", "--secret-key", "--data-dir"));
        known.addAll(extra);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!known.contains(a)) {
                problems.add("unknown option " + a);
            } else if (i + 1 >= args.size()) {
                problems.add(a + " needs a value");
            } else {
                values.put(a, args.get(++i));
            }
        }
        String shard = values.get("--shard");
        if (shard == null) {
            problems.add("--shard is required");
        }
        String tier = values.getOrDefault("--tier", "standard");
        if (!ShardArchivePath.TIERS.contains(tier)) {
            problems.add("--tier must be one of standard, enhanced, platinum, got '" + tier + "'");
        }
        String region = values.getOrDefault("--region", "us-east-1");
        URI endpoint = null;
        String accessKey = values.get("--access-key");
        String secretKey = values.get("--secret-key");
        if (values.containsKey("--s3-endpoint")) {
            try {
                endpoint = URI.create(values.get("--s3-endpoint"));
            } catch (IllegalArgumentException e) {
                problems.add("--s3-endpoint is not a URL: " + values.get("--s3-endpoint"));
            }
        } else if (!values.containsKey("--region")) {
            Path dataDir = Path.of(values.getOrDefault("--data-dir", ".fleetshard/dev"));
            Optional<String> port = DevPorts.recorded(dataDir, "s3");
            if (port.isEmpty()) {
                problems.add("no --s3-endpoint or --region given and no dev platform data in " + dataDir.toAbsolutePath()
                        + " (start ./fleetshard dev, or name the archive's S3)");
            } else {
                endpoint = URI.create("http://127.0.0.1:" + port.get());
                accessKey = accessKey == null ? S3Server.ACCESS_KEY : accessKey;
                secretKey = secretKey == null ? S3Server.SECRET_KEY : secretKey;
            }
        }
        ShardArchivePath path = null;
        if (shard != null && problems.isEmpty()) {
            try {
                path = new ShardArchivePath(tier, shard);
            } catch (IllegalArgumentException e) {
                problems.add("--shard: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems) + "\n" + usage);
        }
        return new Target(path, endpoint, region, accessKey, secretKey,
                values.getOrDefault("--bucket", "fleetshard-archive"), values);
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            out.println(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        String verb = args.get(0);
        if (!verb.equals("ls") && !verb.equals("verify")) {
            throw new IllegalArgumentException("unknown archive command '" + verb + "'\n" + USAGE);
        }
        List<String> rest = new ArrayList<>(args.subList(1, args.size()));
        boolean audit = rest.remove("--audit");
        if (audit) {
            int at = rest.indexOf("--audit-topic");
            String topic = AUDIT_TOPIC;
            if (at >= 0) {
                if (at + 1 >= rest.size()) {
                    throw new IllegalArgumentException("--audit-topic needs a value\n" + USAGE);
                }
                topic = rest.remove(at + 1);
                rest.remove(at);
            }
            if (rest.contains("--shard")) {
                throw new IllegalArgumentException("--audit and --shard name different archives: give one\n" + USAGE);
            }
            rest.add("--shard");
            rest.add(topic);
        }
        Target target = parseTarget(rest, List.of("--output"), USAGE);
        String output = target.rest().getOrDefault("--output", "text");
        if (!output.equals("text") && !output.equals("json")) {
            throw new IllegalArgumentException("--output must be text or json, got '" + output + "'");
        }
        boolean json = output.equals("json");
        try (S3ArchiveStore store = target.open()) {
            if (json) {
                return verb.equals("ls") ? listJson(store, target.path(), out)
                        : verifyJson(store, target.path(), audit, out);
            }
            return verb.equals("ls") ? list(store, target.path(), out) : verify(store, target.path(), audit, out, err);
        } catch (ArchiveException e) {
            err.println("fleetshard archive " + verb + ": " + e.getMessage());
            return 1;
        }
    }

    /** One manifest of an archive, as {@code ls} shows it; {@code manifest} empty for a key that names none. */
    private record ManifestRow(String key, long seq, Optional<StoredManifest> manifest) {
        SegmentRef first() {
            return manifest.orElseThrow().manifest().segments().get(0);
        }

        SegmentRef last() {
            return manifest.orElseThrow().manifest().lastSegment();
        }

        long bytes() {
            return manifest.orElseThrow().manifest().segments().stream().mapToLong(SegmentRef::bytes).sum();
        }

        /** A manifest that only moves capture's watermark on an idle shard (ADR 0048) lists no segment. */
        boolean watermarkOnly() {
            return !manifest.orElseThrow().manifest().hasSegments();
        }

        Watermark watermark() {
            return manifest.orElseThrow().manifest().watermark();
        }
    }

    /** The archive's manifest keys with their manifests (a seq below 1: a key that is not a manifest name). */
    private static List<ManifestRow> manifests(ArchiveStore store, ShardArchivePath path) {
        ArchiveReader reader = new ArchiveReader(store, path);
        List<ManifestRow> rows = new ArrayList<>();
        for (ArchiveStore.StoredObject o : store.list(path.manifestsPrefix(), null, Integer.MAX_VALUE)) {
            long seq = path.manifestSeqOf(o.key());
            rows.add(new ManifestRow(o.key(), seq, seq < 1 ? Optional.empty() : reader.get(seq)));
        }
        return rows;
    }

    static int list(ArchiveStore store, ShardArchivePath path, PrintStream out) {
        List<ManifestRow> manifests = manifests(store, path);
        out.printf("archive s3://…/%s: %d manifests%n", path.prefix(), manifests.size());
        out.println("seq        offsets                    events   bytes       first commit              last commit               sha256");
        for (ManifestRow m : manifests) {
            if (m.seq() < 1) {
                out.println("?          " + m.key() + " (not a manifest name)");
                continue;
            }
            if (m.manifest().isEmpty()) {
                continue;
            }
            if (m.watermarkOnly()) {
                out.printf("%-10d %-26s %-8d %-11d %-25s %-25s %s%n", m.seq(), "watermark@" + m.watermark().offset(), 0, 0,
                        "-", Instant.ofEpochMilli(m.watermark().commitTsMs()), m.manifest().get().sha256().substring(0, 16));
                continue;
            }
            out.printf("%-10d %-26s %-8d %-11d %-25s %-25s %s%n", m.seq(), m.first().fromOffset() + ".."
                    + m.last().toOffset(), m.manifest().get().manifest().records(), m.bytes(),
                    Instant.ofEpochMilli(m.first().firstCommitTsMs()), Instant.ofEpochMilli(m.last().lastCommitTsMs()),
                    m.manifest().get().sha256().substring(0, 16));
        }
        for (ArchiveStore.StoredObject o : store.list(path.snapshotsPrefix(), null, Integer.MAX_VALUE)) {
            long seq = path.snapshotSeqOf(o.key());
            if (seq > 0) {
                out.printf("snapshot after manifest %d: %s%n", seq, o.key());
            }
        }
        return 0;
    }

    /** {@code ls --output json}: {@code {"archive", "manifests": [...], "snapshots": [...]}}. */
    static int listJson(ArchiveStore store, ShardArchivePath path, PrintStream out) {
        ObjectNode o = JSON.createObjectNode().put("archive", path.prefix());
        ArrayNode manifests = o.putArray("manifests");
        for (ManifestRow m : manifests(store, path)) {
            if (m.manifest().isEmpty()) {
                continue;
            }
            if (m.watermarkOnly()) {
                ObjectNode row = manifests.addObject().put("seq", m.seq()).put("events", 0).put("bytes", 0);
                row.putObject("watermark").put("offset", m.watermark().offset())
                        .put("position", m.watermark().position())
                        .put("commit", Instant.ofEpochMilli(m.watermark().commitTsMs()).toString());
                row.put("sha256", m.manifest().get().sha256()).put("key", m.key());
                continue;
            }
            manifests.addObject().put("seq", m.seq()).put("fromOffset", m.first().fromOffset())
                    .put("toOffset", m.last().toOffset()).put("events", m.manifest().get().manifest().records())
                    .put("bytes", m.bytes())
                    .put("firstCommit", Instant.ofEpochMilli(m.first().firstCommitTsMs()).toString())
                    .put("lastCommit", Instant.ofEpochMilli(m.last().lastCommitTsMs()).toString())
                    .put("sha256", m.manifest().get().sha256()).put("key", m.key());
        }
        ArrayNode snapshots = o.putArray("snapshots");
        for (ArchiveStore.StoredObject obj : store.list(path.snapshotsPrefix(), null, Integer.MAX_VALUE)) {
            long seq = path.snapshotSeqOf(obj.key());
            if (seq > 0) {
                snapshots.addObject().put("afterManifest", seq).put("key", obj.key());
            }
        }
        out.println(o.toPrettyString());
        return 0;
    }

    /**
     * {@code verify --output json}: {@code {"archive", "whole", "manifests", "segments", "events", "bytes",
     * "lastCommit", "orphanSegments", "defect", "auditChain"?}}; exit 1 when not whole, as the text form.
     */
    static int verifyJson(ArchiveStore store, ShardArchivePath path, boolean audit, PrintStream out) {
        AuditChain.Walker walker = new AuditChain.Walker();
        ArchiveVerifier.Report report = verified(store, path, audit ? walker : null, m -> { });
        boolean whole = report.defect().isEmpty();
        ObjectNode o = JSON.createObjectNode().put("archive", path.prefix()).put("whole", whole)
                .put("manifests", report.manifests()).put("segments", report.segments())
                .put("events", report.records()).put("bytes", report.bytes());
        if (report.lastCommitTsMs() == 0) {
            o.putNull("lastCommit");
        } else {
            o.put("lastCommit", Instant.ofEpochMilli(report.lastCommitTsMs()).toString());
        }
        ArrayNode orphans = o.putArray("orphanSegments");
        report.orphanSegments().forEach(orphans::add);
        if (whole) {
            o.putNull("defect");
        } else {
            o.put("defect", report.defect().get().getMessage());
        }
        if (audit && whole) {
            o.putObject("auditChain").put("records", walker.records()).put("head", walker.head())
                    .put("unsealedBefore", walker.unsealedBefore());
        }
        out.println(o.toPrettyString());
        return whole ? 0 : 1;
    }

    /** Verifies the archive; with a {@code walker}, it also walks the audit record chain through every segment. */
    private static ArchiveVerifier.Report verified(ArchiveStore store, ShardArchivePath path, AuditChain.Walker walker,
            java.util.function.Consumer<StoredManifest> progress) {
        return ArchiveVerifier.verify(store, path, progress, walker != null
                ? (key, event) -> walker.accept(key, event.offset(), event.event()) : (key, event) -> { });
    }

    static int verify(ArchiveStore store, ShardArchivePath path, PrintStream out, PrintStream err) {
        return verify(store, path, false, out, err);
    }

    /** With {@code audit}, also walks the audit record chain (docs/spec/audit-chain.md) through every segment. */
    static int verify(ArchiveStore store, ShardArchivePath path, boolean audit, PrintStream out, PrintStream err) {
        AuditChain.Walker walker = new AuditChain.Walker();
        ArchiveVerifier.Report report = verified(store, path, audit ? walker : null, m -> {
            if (m.manifest().seq() % 100 == 0) {
                out.printf("  verified %d manifests…%n", m.manifest().seq());
            }
        });
        out.printf("%s: %d manifests, %d segments, %d events, %d bytes checked; last commit %s%n", path.prefix(),
                report.manifests(), report.segments(), report.records(), report.bytes(),
                report.lastCommitTsMs() == 0 ? "-" : Instant.ofEpochMilli(report.lastCommitTsMs()));
        if (!report.orphanSegments().isEmpty()) {
            out.printf("%d orphan segment(s) listed by no manifest (left by a crash or a race; harmless): %s%n",
                    report.orphanSegments().size(), String.join(", ", report.orphanSegments()));
        }
        if (report.defect().isPresent()) {
            err.println("DEFECT: " + report.defect().get().getMessage());
            return 1;
        }
        if (audit) {
            out.printf("audit chain: %d records linked, head %s (compare it with one recorded elsewhere: the archive"
                    + " alone cannot show records cut from its end)%n", walker.records(), walker.head());
            if (walker.unsealedBefore() > 0) {
                out.printf("%d record(s) before the chain's start were written before the chain existed and are not"
                        + " protected by it%n", walker.unsealedBefore());
            }
        }
        out.println("archive is whole");
        return 0;
    }
}
