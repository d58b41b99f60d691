package io.fleetshard.streams;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * One resharding job's delta sync (ADR 0013, "Delta sync reads the source's shard log"): apply the changes of
 * {@code fleets} from shard {@code sourceShardId}'s shard log, from {@code startOffset} on, to the target database.
 *
 * @param jobId the job's id; also the Kafka Streams application id's suffix ({@code fleetshard-reshard-<jobId>}) and
 *     the key of the target's {@code fleetshard_reshard_progress} row: 1-64 of {@code A-Z a-z 0-9 . _ -}
 * @param sourceShardId the source shard; its shard log is {@code <shard.log.topic.prefix><sourceShardId>}
 * @param startOffset the shard log's end offset stored before the bulk copy; used only for a new job (no committed
 *     offset yet); a restarted job resumes from its committed offset
 * @param fleets the moving fleets as {@code tenant/fleet}
 * @param targetJdbcUrl the target shard, {@code jdbc:postgresql:} or {@code jdbc:mariadb:}/{@code jdbc:mysql:}, with a
 *     user that owns the tables and bypasses row-level security (it may carry a password: never logged)
 */
public record DeltaSyncSpec(String jobId, String sourceShardId, long startOffset, Set<String> fleets, String targetJdbcUrl) {
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern FLEET = Pattern.compile("[^/]+/[^/]+");

    public DeltaSyncSpec {
        StringBuilder problems = new StringBuilder();
        if (jobId == null || !JOB_ID.matcher(jobId).matches()) {
            problems.append("; jobId must be 1-64 of A-Z a-z 0-9 . _ -, got '").append(jobId).append('\'');
        }
        if (sourceShardId == null || sourceShardId.isBlank()) {
            problems.append("; sourceShardId is required");
        }
        if (startOffset < 0) {
            problems.append("; startOffset must be >= 0, got ").append(startOffset);
        }
        if (fleets == null || fleets.isEmpty()) {
            problems.append("; fleets must name at least one tenant/fleet");
        } else {
            for (String f : fleets) {
                if (f == null || !FLEET.matcher(f).matches()) {
                    problems.append("; fleet '").append(f).append("' is not tenant/fleet");
                }
            }
        }
        if (targetJdbcUrl == null || !(targetJdbcUrl.startsWith("jdbc:postgresql:") || targetJdbcUrl.startsWith("jdbc:mariadb:")
                || targetJdbcUrl.startsWith("jdbc:mysql:"))) {
            problems.append("; targetJdbcUrl must start with jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql:");
        }
        if (problems.length() > 0) {
            throw new StreamProcessorException("invalid delta sync spec for job '" + jobId + "': " + problems.substring(2));
        }
        fleets = Set.copyOf(fleets);
    }

    /** The Kafka Streams application id (and consumer group) of this job. */
    public String applicationId() {
        return applicationIdOf(jobId);
    }

    static String applicationIdOf(String jobId) {
        return "fleetshard-reshard-" + jobId;
    }

    /** Without the target URL's password. */
    @Override
    public String toString() {
        return "DeltaSyncSpec[jobId=" + jobId + ", source=" + sourceShardId + ", startOffset=" + startOffset + ", fleets="
                + fleets + ", target=" + redact(targetJdbcUrl) + "]";
    }

    static String redact(String url) {
        return url == null ? null : url.replaceAll("(?i)(password=)[^&;]*", "$1******").replaceAll("//[^/@]*:[^/@]*@", "//******@");
    }
}
