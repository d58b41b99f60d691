package io.fleetshard.bench;

import io.fleetshard.archive.format.ArchiveEncryption;
import io.fleetshard.archive.format.ArchivedEvent;
import io.fleetshard.archive.format.LocalKeyDirectory;
import io.fleetshard.archive.format.Segment;
import io.fleetshard.archive.format.SegmentCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The cost of sealing (ADR 0025; compressed blocks since ADR 0028) on segment encode and open, local key provider, one
 * JVM. Segments of {@code events} change envelopes of ~480 bytes, tenants t0..t9 round robin; sealed: none, one
 * tenant, all tenants. Run: {@code bench/run seal [events] [rounds]}; results in docs/benchmarks.md ("Per-tenant
 * archive keys").
 */
public final class ArchiveSealBench {
    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        Path dir = Files.createTempDirectory("seal-bench");
        for (int t = 0; t < 10; t++) {
            LocalKeyDirectory.createKey(dir, "t" + t);
        }
        List<ArchivedEvent> batch = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            String t = "t" + (i % 10);
            batch.add(new ArchivedEvent(i, ("{\"version\":1,\"op\":\"u\",\"table\":\"vehicles\",\"tenant\":\"" + t
                    + "\",\"fleet\":\"f" + (i % 7) + "\",\"shard\":\"pg-1\",\"key\":{\"tenant_id\":\"" + t
                    + "\",\"fleet_id\":\"f1\",\"vehicle_id\":\"v" + i + "\"},\"before\":null,\"after\":{\"tenant_id\":\"" + t
                    + "\",\"fleet_id\":\"f1\",\"vehicle_id\":\"v" + i + "\",\"vin\":\"VIN" + (1_000_000 + i * 7919 % 999_999)
                    + "\",\"status\":\"active\",\"updated_at\":\"2026-12-06T06:00:00.123Z\"},\"source\":{\"engine\":\"postgres\","
                    + "\"db\":\"fleet\",\"lsn\":\"0/" + Integer.toHexString(i * 64) + "\"},\"position\":\"0/"
                    + Integer.toHexString(i * 64) + "\",\"txId\":\"" + (9000 + i) + "\",\"commitTsMs\":" + (1_765_000_000_000L + i)
                    + ",\"captureTsMs\":" + (1_765_000_000_010L + i) + ",\"mapVersion\":7,\"snapshot\":false}")
                    .getBytes(StandardCharsets.UTF_8)));
        }
        LocalKeyDirectory keys = new LocalKeyDirectory(dir);
        long raw = batch.stream().mapToLong(e -> e.event().length).sum();
        for (String mode : List.of("none", "one", "all")) {
            ArchiveEncryption enc = switch (mode) {
                case "one" -> new ArchiveEncryption(false, Set.of("t3"), keys);
                case "all" -> new ArchiveEncryption(true, Set.of(), keys);
                default -> ArchiveEncryption.NONE;
            };
            byte[] gz = null;
            long encNs = 0;
            long openNs = 0;
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                gz = SegmentCodec.encode("pg-1", "fleetshard.shardlog.pg-1", batch, enc);
                long t1 = System.nanoTime();
                Segment s = SegmentCodec.open("k", SegmentCodec.decode("k", gz), keys);
                long t2 = System.nanoTime();
                if (r >= rounds / 2) { // second half: warmed up
                    encNs += t1 - t0;
                    openNs += t2 - t1;
                }
                if (s.events().size() != events) {
                    throw new IllegalStateException();
                }
            }
            int measured = rounds - rounds / 2;
            int blocks = SegmentCodec.decode("k", gz).blocks().size();
            System.out.printf("sealed=%-4s blocks=%-3d segment %d events, %d B raw -> %d B gzip (%.2f%%); encode %.1f ms (%.0f events/s), "
                            + "decode+open %.1f ms (%.0f events/s)%n", mode, blocks, events, raw, gz.length, 100.0 * gz.length / raw,
                    encNs / 1e6 / measured, events * 1e9 * measured / encNs, openNs / 1e6 / measured,
                    events * 1e9 * measured / openNs);
        }
    }
}
