package io.fleetshard.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.shardmap.Engine;
import io.fleetshard.shardmap.Shard;
import io.fleetshard.shardmap.ShardStatus;
import java.sql.SQLException;
import java.sql.SQLSyntaxErrorException;
import org.junit.jupiter.api.Test;

/** How a standby's {@code fleetshard_standby_position.last_position} and its read errors are understood. */
class StandbyPositionTest {

    @Test
    void postgresStandbysRecordTheSourceLsn() {
        assertThat(PostgresDialect.INSTANCE.parseStandbyPosition("16/B374D848")).isEqualTo(Lsn.parse("16/B374D848"));
        assertThatThrownBy(() -> PostgresDialect.INSTANCE.parseStandbyPosition("0-1-42@bin.000001:4#0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'0-1-42@bin.000001:4#0'");
    }

    @Test
    void mariaDbStandbysRecordTheGtidBeforeTheBinlogCoordinates() {
        LogPosition p = MariaDbDialect.INSTANCE.parseStandbyPosition("0-1-42@mariadb-bin.000003:1234#2");
        assertThat(p).isEqualTo(GtidPosition.parse("0-1-42"));
        assertThat(p.covers(GtidPosition.parse("0-1-41"))).isTrue();
        assertThat(p.covers(GtidPosition.parse("0-1-43"))).isFalse();
        assertThatThrownBy(() -> MariaDbDialect.INSTANCE.parseStandbyPosition("mariadb-bin.000003:1234"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("<gtid>@<binlog file>:<pos>#<row>").hasMessageContaining("'mariadb-bin.000003:1234'");
    }

    @Test
    void aMariaDbStandbyThatAppliedOnlyTheSnapshotHasTheEmptyPosition() {
        LogPosition p = MariaDbDialect.INSTANCE.parseStandbyPosition("@mariadb-bin.000001:11659#0");
        assertThat(p).isEqualTo(GtidPosition.parse(""));
        assertThat(p.covers(GtidPosition.parse("0-1-1"))).isFalse();
    }

    @Test
    void anEmptyLastPositionMeansTheStandbyHasAppliedNothingYetOnBothEngines() {
        // the applier writes '' until it applies a first change (a manifest without changes, a restore to before one)
        assertThat(ShardDialect.parseLastPosition("", MariaDbDialect.INSTANCE::parseStandbyPosition)).isNull();
        assertThat(ShardDialect.parseLastPosition("", PostgresDialect.INSTANCE::parseStandbyPosition)).isNull();
        assertThat(ShardDialect.parseLastPosition("0-1-42@mariadb-bin.000003:1234#2",
                MariaDbDialect.INSTANCE::parseStandbyPosition)).isEqualTo(GtidPosition.parse("0-1-42"));
        assertThat(ShardDialect.parseLastPosition("16/B374D848", PostgresDialect.INSTANCE::parseStandbyPosition))
                .isEqualTo(Lsn.parse("16/B374D848"));
    }

    @Test
    void aMalformedLastPositionIsStillUnreadable() {
        assertThatThrownBy(() -> ShardDialect.parseLastPosition("mariadb-bin.000003:1234",
                MariaDbDialect.INSTANCE::parseStandbyPosition)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'mariadb-bin.000003:1234'");
        assertThatThrownBy(() -> ShardDialect.parseLastPosition(" ", PostgresDialect.INSTANCE::parseStandbyPosition))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aStandbyWithoutAPositionGivesOneReasonWhetherItsRowIsMissingOrEmpty() {
        Shard shard = Shard.withDefaultTokens("s1", ShardStatus.ACTIVE, Engine.MARIADB, 4);
        assertThat(ReplicationProber.nothingApplied(shard)).isEqualTo("standby has not applied anything yet: shard s1"
                + " has no last_position in fleetshard_standby_position yet");
    }

    @Test
    void aDatabaseWithoutThePositionTableIsNotAStandby() {
        assertThat(PostgresDialect.INSTANCE.standbyProblem(new SQLException(
                "ERROR: relation \"fleetshard_standby_position\" does not exist", "42P01")))
                .isEqualTo("not a FleetShard standby: no fleetshard_standby_position table");
        assertThat(MariaDbDialect.INSTANCE.standbyProblem(new SQLSyntaxErrorException(
                "Table 'db.fleetshard_standby_position' doesn't exist", "42S02", 1146)))
                .isEqualTo("not a FleetShard standby: no fleetshard_standby_position table");
    }

    @Test
    void aPositionTableTheRouterMayNotReadSaysWhatToGrant() {
        assertThat(PostgresDialect.INSTANCE.standbyProblem(new SQLException(
                "ERROR: permission denied for table fleetshard_standby_position", "42501")))
                .contains("may not read fleetshard_standby_position").contains("grant SELECT on it to router.db.user");
    }

    @Test
    void otherFailuresAreNotStandbyProblems() {
        assertThat(PostgresDialect.INSTANCE.standbyProblem(new SQLException("Connection refused", "08001"))).isNull();
        assertThat(MariaDbDialect.INSTANCE.standbyProblem(new SQLException("Could not connect", "08000", 0)))
                .isNull();
    }
}
