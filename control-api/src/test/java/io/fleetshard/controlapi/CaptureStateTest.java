package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Capture's stage read from its offsets-topic records, shaped as Debezium 3.5 and cdc-capture write them. */
class CaptureStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CaptureState of(String offset) throws Exception {
        JsonNode value = JSON.readTree("{\"shard\":\"pg-1\",\"partition\":{\"server\":\"fs_pg-1\"},\"offset\":" + offset
                + ",\"mapVersion\":7,\"writtenAtMs\":1234}");
        return CaptureState.fromStoredOffset("pg-1", value);
    }

    @Test
    void aPositionInsideTheInitialSnapshotIsSnapshot() throws Exception {
        // PostgreSQL during the snapshot: snapshot type, not the last record, not completed
        assertThat(of("{\"lsn\":123,\"txId\":5,\"snapshot\":\"INITIAL\",\"last_snapshot_record\":false,"
                + "\"snapshot_completed\":false}").stage()).isEqualTo(CaptureState.Stage.SNAPSHOT);
        // the last row read is still a snapshot read
        assertThat(of("{\"lsn\":123,\"snapshot\":\"INITIAL\",\"last_snapshot_record\":true,"
                + "\"snapshot_completed\":false}").stage()).isEqualTo(CaptureState.Stage.SNAPSHOT);
        // MariaDB/MySQL (binlog offsets carry no completion flag) and Debezium 1.x's boolean
        assertThat(of("{\"file\":\"bin.000002\",\"pos\":4,\"gtids\":\"0-1-5\",\"snapshot\":\"INITIAL\"}").stage())
                .isEqualTo(CaptureState.Stage.SNAPSHOT);
        assertThat(of("{\"lsn\":1,\"snapshot\":true}").stage()).isEqualTo(CaptureState.Stage.SNAPSHOT);
    }

    @Test
    void aPositionAfterTheSnapshotIsStreaming() throws Exception {
        assertThat(of("{\"lsn\":123,\"txId\":5,\"lsn_commit\":120,\"lsn_proc\":123}").stage())
                .isEqualTo(CaptureState.Stage.STREAMING);
        assertThat(of("{\"file\":\"bin.000002\",\"pos\":900,\"gtids\":\"0-1-9\",\"event\":2,\"row\":1}").stage())
                .isEqualTo(CaptureState.Stage.STREAMING);
        assertThat(of("{\"lsn\":123,\"snapshot\":\"INITIAL\",\"snapshot_completed\":true}").stage())
                .isEqualTo(CaptureState.Stage.STREAMING);
        assertThat(of("{\"lsn\":1,\"snapshot\":false}").streaming()).isTrue();
        assertThat(of("{\"lsn\":1}").writtenAtMs()).isEqualTo(1234);
    }

    @Test
    void noPositionOrAResetIsNone() throws Exception {
        assertThat(CaptureState.fromStoredOffset("pg-1", null).stage()).isEqualTo(CaptureState.Stage.NONE);
        assertThat(CaptureState.fromStoredOffset("pg-1", JSON.readTree("{\"shard\":\"pg-1\"}")).stage())
                .isEqualTo(CaptureState.Stage.NONE);
    }

    @Test
    void theRefusalNamesTheShardWhatCaptureDoesAndWhenToRetry() throws Exception {
        assertThat(of("{\"lsn\":1,\"snapshot\":\"INITIAL\"}").refusal("source"))
                .contains("change capture of source shard pg-1 is still in its initial snapshot")
                .contains("1970-01-01T00:00:01.234Z").contains("Retry once capture of pg-1 streams");
        assertThat(CaptureState.none("pg-4").refusal("target"))
                .contains("change capture of target shard pg-4 has committed no position yet")
                .contains("retry once it streams");
        assertThat(of("{\"lsn\":1}").refusal("source")).isEmpty();
    }
}
