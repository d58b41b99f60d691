package io.fleetshard.cdc;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps capture from writing a change that its topics would delete before anyone had time to read it (ADR 0061).
 *
 * <p>Capture dates every record with its source commit time, and Kafka's time-based retention measures a segment's age
 * from its newest record's date: after a capture outage longer than a topic's {@code retention.ms}, the changes
 * captured on resumption are already past retention when written, their segment rolls at the next append, and the
 * broker's next retention check deletes them, before the archive, the standbys or any consumer read them. A change
 * passes only while its topics keep it for at least {@code min.readable.ms} after now (or half the topic's retention,
 * when that is shorter); an older one fails its batch: the transaction is aborted, the shard's engine restarts with
 * backoff from the last committed offset (the source keeps the change), and the error names the topic and the
 * {@code retention.ms} that would let it pass. Topics that keep records forever ({@code retention.ms=-1}), compact
 * only, or date records on append ({@code LogAppendTime}) never refuse.
 */
final class RetentionGuard {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionGuard.class);

    /** Every change passes: no topic deletes by record date. */
    static final RetentionGuard NONE = new RetentionGuard(List.of(), 0);

    /** A topic that deletes records by their date: its name and {@code retention.ms}. */
    record Limit(String topic, long retentionMs) {
        /** The oldest record age this topic accepts with {@code minReadableMs} left to read it. */
        long maxAgeMs(long minReadableMs) {
            return retentionMs - Math.min(minReadableMs, retentionMs / 2);
        }
    }

    /** Thrown for a batch holding a change its topics would delete too soon; see {@link RetentionGuard}. */
    static final class Refused extends CaptureException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final List<Limit> limits;
    private final long minReadableMs;
    /** The tightest of {@link #limits}: the topic whose limit refuses first, or null. */
    private final Limit tightest;

    RetentionGuard(List<Limit> limits, long minReadableMs) {
        this.limits = List.copyOf(limits);
        this.minReadableMs = minReadableMs;
        Limit t = null;
        for (Limit l : this.limits) {
            if (t == null || l.maxAgeMs(minReadableMs) < t.maxAgeMs(minReadableMs)) {
                t = l;
            }
        }
        this.tightest = t;
    }

    /**
     * Reads the effective settings of {@code topics} (the topic's own or the broker's default). If they cannot be read
     * (no {@code DESCRIBE_CONFIGS} right, a timeout), logs a warning and guards nothing: capture goes on as before.
     */
    static RetentionGuard read(CaptureConfig config, String shardId, Collection<String> topics) {
        List<ConfigResource> resources = topics.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        try (Admin admin = ChangeTopics.admin(config, 30_000)) {
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
            List<Limit> limits = new ArrayList<>();
            configs.forEach((resource, c) -> {
                Limit l = limitOf(resource.name(), value(c, "retention.ms"), value(c, "cleanup.policy"),
                        value(c, "message.timestamp.type"));
                if (l != null) {
                    limits.add(l);
                }
            });
            return new RetentionGuard(limits, config.minReadableMs());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaptureException("interrupted while reading the retention of " + topics, e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("Shard {}: cannot read retention.ms of {} ({}); capture goes on without checking that its changes"
                    + " outlive their topics' retention (grant DESCRIBE_CONFIGS on them, ADR 0061)", shardId, topics,
                    e.getMessage());
            return NONE;
        }
    }

    /** The limit a topic with these settings sets, or null when it never deletes a record by its date. */
    static Limit limitOf(String topic, String retentionMs, String cleanupPolicy, String timestampType) {
        if (cleanupPolicy != null && !cleanupPolicy.contains("delete")) {
            return null;
        }
        if ("LogAppendTime".equals(timestampType)) {
            return null;
        }
        long retention;
        try {
            retention = retentionMs == null ? -1 : Long.parseLong(retentionMs.trim());
        } catch (NumberFormatException e) {
            return null;
        }
        return retention < 0 ? null : new Limit(topic, retention);
    }

    private static String value(Config c, String name) {
        ConfigEntry e = c.get(name);
        return e == null ? null : e.value();
    }

    /** The oldest record date (epoch ms) every guarded topic accepts at {@code nowMs}; {@code Long.MIN_VALUE}: any. */
    long oldestAcceptedMs(long nowMs) {
        return tightest == null ? Long.MIN_VALUE : nowMs - tightest.maxAgeMs(minReadableMs);
    }

    /** The error for a change dated {@code timestampMs} that {@link #oldestAcceptedMs} refused at {@code nowMs}. */
    Refused refusal(String shardId, String table, long timestampMs, long nowMs) {
        long ageMs = nowMs - timestampMs;
        long leftMs = tightest.retentionMs() - ageMs;
        String when = leftMs <= 0 ? "at the broker's next retention check after it is written"
                : describeAge(leftMs) + " after it is written (readers are to get "
                        + describeAge(Math.min(minReadableMs, tightest.retentionMs() / 2)) + ")";
        return new Refused("shard " + shardId + ": a " + table + " change committed " + describeAge(ageMs) + " ago"
                + " would be deleted by topic " + tightest.topic() + " (retention.ms=" + tightest.retentionMs()
                + ") " + when + "; capture holds it (nothing is lost: the source keeps it) and retries. Raise"
                + " retention.ms of " + topicNames() + " to at least " + (ageMs + minReadableMs) + " (or -1), or"
                + " lower min.readable.ms (ADR 0061)");
    }

    private List<String> topicNames() {
        return limits.stream().map(Limit::topic).sorted().toList();
    }

    private static String describeAge(long ms) {
        if (ms >= 2 * 86_400_000L) {
            return String.format(java.util.Locale.ROOT, "%.1f days", ms / 86_400_000.0);
        }
        if (ms >= 2 * 3_600_000L) {
            return String.format(java.util.Locale.ROOT, "%.1f hours", ms / 3_600_000.0);
        }
        return ms / 1000 + " s";
    }
}
