package io.fleetshard.standby;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.archive.format.ArchiveDefectException;
import io.fleetshard.archive.format.SnapshotDescriptor;
import io.fleetshard.archive.format.SnapshotParser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotParserTest {

    @Test
    void roundTripsADescriptorByteForByte() {
        SnapshotDescriptor d = new SnapshotDescriptor("s1", "standard", 12, "a".repeat(64), 345, 1_700_000_000_123L, 1_700_000_001_000L,
                List.of(new SnapshotDescriptor.Table("vehicles",
                        List.of(new SnapshotDescriptor.Column("tenant_id", "text", false),
                                new SnapshotDescriptor.Column("vin", "character varying(32)", true)),
                        List.of("tenant_id"),
                        List.of(new SnapshotDescriptor.Part("standard/s1/snapshots/x/vehicles-00001.jsonl.gz", 10, 99, "b".repeat(64))))));
        byte[] bytes = SnapshotParser.toBytes(d);
        assertThat(SnapshotParser.parse("k", bytes)).isEqualTo(d);
        assertThat(SnapshotParser.toBytes(SnapshotParser.parse("k", bytes))).isEqualTo(bytes);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"format\" : \"fleetshard-snapshot\"");
    }

    @Test
    void aDescriptorWithoutAPrimaryKeyIsADefectNamingIt() {
        String json = "{\"format\":\"fleetshard-snapshot\",\"version\":1,\"shard\":\"s1\",\"tier\":\"standard\",\"manifestSeq\":1,"
                + "\"manifestSha256\":\"" + "c".repeat(64) + "\",\"nextOffset\":1,\"lastCommitTsMs\":1,\"createdMs\":1,"
                + "\"tables\":[{\"table\":\"t\",\"columns\":[{\"name\":\"a\",\"type\":\"int\",\"nullable\":true}],"
                + "\"primaryKey\":[],\"parts\":[]}]}";
        assertThatThrownBy(() -> SnapshotParser.parse("standard/s1/snapshots/1/snapshot.json", json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ArchiveDefectException.class)
                .hasMessageContaining("standard/s1/snapshots/1/snapshot.json")
                .hasMessageContaining("has no primary key");
    }
}
