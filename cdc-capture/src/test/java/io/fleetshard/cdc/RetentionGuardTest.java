package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionGuardTest {
    private static final long DAY = Duration.ofDays(1).toMillis();
    private static final long NOW = 1_800_000_000_000L;

    @Test
    void onlyTopicsThatDeleteByRecordDateSetALimit() {
        assertThat(RetentionGuard.limitOf("t", "604800000", "delete", "CreateTime"))
                .isEqualTo(new RetentionGuard.Limit("t", 7 * DAY));
        assertThat(RetentionGuard.limitOf("t", "604800000", "compact,delete", "CreateTime")).isNotNull();
        assertThat(RetentionGuard.limitOf("t", "-1", "delete", "CreateTime")).as("kept forever").isNull();
        assertThat(RetentionGuard.limitOf("t", "604800000", "compact", "CreateTime")).as("compacted only").isNull();
        assertThat(RetentionGuard.limitOf("t", "604800000", "delete", "LogAppendTime")).as("dated on append").isNull();
    }

    @Test
    void aChangePassesWhileItsTopicsKeepItMinReadableAfterNow() {
        RetentionGuard guard = new RetentionGuard(List.of(new RetentionGuard.Limit("cdc.vehicles", 7 * DAY),
                new RetentionGuard.Limit("shardlog.s", 30 * DAY)), DAY);
        // the tightest topic keeps a record 7 days from its date: one dated 6 days ago still has a day to be read
        assertThat(guard.oldestAcceptedMs(NOW)).isEqualTo(NOW - 6 * DAY);

        RetentionGuard.Refused refused = guard.refusal("s", "vehicles", NOW - 8 * DAY, NOW);
        assertThat(refused.getMessage()).contains("committed 8.0 days ago").contains("topic cdc.vehicles")
                .contains("retention.ms=" + 7 * DAY).contains("at the broker's next retention check")
                .contains("[cdc.vehicles, shardlog.s]").contains("at least " + 9 * DAY);
        assertThat(guard.refusal("s", "vehicles", NOW - 6 * DAY - DAY / 2, NOW).getMessage())
                .contains("12.0 hours after it is written (readers are to get 24.0 hours)");
        assertThat(ShardCapture.ErrorKind.of(new CaptureException("batch failed", refused)))
                .isEqualTo("topic-retention");
    }

    @Test
    void aShortRetentionKeepsHalfOfItReadable() {
        RetentionGuard guard = new RetentionGuard(List.of(new RetentionGuard.Limit("t", 3_600_000)), DAY);
        assertThat(guard.oldestAcceptedMs(NOW)).isEqualTo(NOW - 1_800_000);
    }

    @Test
    void topicsWithoutDateRetentionAcceptAnyAge() {
        assertThat(RetentionGuard.NONE.oldestAcceptedMs(NOW)).isEqualTo(Long.MIN_VALUE);
        assertThat(new RetentionGuard(List.of(), DAY).oldestAcceptedMs(NOW)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void minReadableZeroRefusesOnlyWhatIsAlreadyPastRetention() {
        RetentionGuard guard = new RetentionGuard(List.of(new RetentionGuard.Limit("t", 7 * DAY)), 0);
        assertThat(guard.oldestAcceptedMs(NOW)).isEqualTo(NOW - 7 * DAY);
    }
}
