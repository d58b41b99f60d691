package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class LostTransactionsTest {
    private static final long NOW = 1_800_000_000_000L;

    private static JsonNode offset(String gtids, int event, int row) throws Exception {
        return StoredOffset.JSON.readTree("{\"file\":\"mariadb-bin.000002\",\"pos\":4711,\"gtids\":\"" + gtids
                + "\",\"event\":" + event + ",\"row\":" + row + "}");
    }

    private static LostTransactions.Logged change(long offset, String op, String gtid, String before, String after) {
        String value = "{\"version\":1,\"op\":\"" + op + "\",\"table\":\"vehicles\",\"tenant\":\"t1\",\"fleet\":\"f1\","
                + "\"shard\":\"m1\",\"key\":{\"vehicle_id\":\"v1\"},\"before\":" + before + ",\"after\":" + after
                + ",\"txId\":\"" + gtid + "\",\"position\":\"" + gtid + "@mariadb-bin.000002:1#0\",\"mapVersion\":3}";
        RecordHeaders h = new RecordHeaders();
        h.add(ChangeEnvelopeMapper.H_OP, op.getBytes(StandardCharsets.UTF_8));
        h.add(ChangeEnvelopeMapper.H_TX, gtid.getBytes(StandardCharsets.UTF_8));
        h.add(ChangeEnvelopeMapper.H_MAP_VERSION, "3".getBytes(StandardCharsets.UTF_8));
        return new LostTransactions.Logged(offset, "{\"vehicle_id\":\"v1\"}".getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), h);
    }

    @Test
    void gtidPositionsCompareByDomainAndAreCutBackToTheServers() {
        MariaDbGtidPosition stored = MariaDbGtidPosition.parse("0-1-97,3-3-119");
        MariaDbGtidPosition server = MariaDbGtidPosition.parse("0-1-97,3-3-117,4-4-5");
        assertThat(server.holds(MariaDbGtidPosition.Gtid.parse("3-3-117"))).isTrue();
        assertThat(server.holds(MariaDbGtidPosition.Gtid.parse("3-3-118"))).isFalse();
        assertThat(server.holds(MariaDbGtidPosition.Gtid.parse("5-5-1"))).isFalse();
        assertThat(stored.cutTo(server).text()).isEqualTo("0-1-97,3-3-117");
        assertThat(stored.aheadOf(server)).containsOnlyKeys(3L).containsEntry(3L, "3-3-117 < 3-3-119");
        assertThat(MariaDbGtidPosition.parse("0-1-97,7-7-2").cutTo(server).text()).isEqualTo("0-1-97");
        assertThat(stored.cutTo(MariaDbGtidPosition.parse("0-1-98,3-3-200")).text()).isEqualTo("0-1-97,3-3-119");
    }

    @Test
    void nothingToDoWhenTheServerHoldsEverythingPublished() throws Exception {
        LostTransactions.Plan plan = LostTransactions.plan(offset("0-1-10", 2, 1), MariaDbGtidPosition.parse("0-1-11"),
                List.of(change(5, "c", "0-1-11", "null", "{\"status\":\"a\"}")), NOW, 4);
        assertThat(plan.isEmpty()).isTrue();
    }

    @Test
    void lostChangesAreRetractedNewestFirstAndTheOffsetResumesAtTheServersPosition() throws Exception {
        // stopped inside 0-1-12 (event 2): the server has 0-1-10 only; 0-1-11 and 0-1-12 were published
        List<LostTransactions.Logged> tail = List.of(
                change(0, "c", "0-1-10", "null", "{\"status\":\"a\"}"),
                change(1, "c", "0-1-11", "null", "{\"status\":\"b\"}"),
                change(2, "u", "0-1-12", "{\"status\":\"b\"}", "{\"status\":\"c\"}"));
        LostTransactions.Plan plan = LostTransactions.plan(offset("0-1-11", 2, 1),
                MariaDbGtidPosition.parse("0-1-10,2-2-3"), tail, NOW, 9);

        assertThat(plan.isEmpty()).isFalse();
        assertThat(plan.lostGtids()).containsExactly("0-1-11", "0-1-12");
        assertThat(plan.aheadByDomain()).containsEntry(0L, "0-1-10 < 0-1-11");
        assertThat(plan.resumeOffset().path("gtids").asText()).isEqualTo("0-1-10");
        assertThat(plan.resumeOffset().path("event").asInt()).isZero();
        assertThat(plan.resumeOffset().path("row").asInt()).isZero();
        assertThat(plan.resumeOffset().path("file").asText()).isEqualTo("mariadb-bin.000002");
        assertThat(plan.lookBackExhausted()).isFalse();

        assertThat(plan.retractions()).hasSize(2);
        JsonNode first = StoredOffset.JSON.readTree(plan.retractions().get(0).value());
        assertThat(first.path("op").asText()).isEqualTo("u");
        assertThat(first.path("before").path("status").asText()).isEqualTo("c");
        assertThat(first.path("after").path("status").asText()).isEqualTo("b");
        assertThat(first.path("origin").asText()).isEqualTo("retraction");
        assertThat(first.path("retracts").asText()).isEqualTo("0-1-12");
        assertThat(first.path("mapVersion").asLong()).isEqualTo(9);
        JsonNode second = StoredOffset.JSON.readTree(plan.retractions().get(1).value());
        assertThat(second.path("op").asText()).isEqualTo("d");
        assertThat(second.path("before").path("status").asText()).isEqualTo("b");
        assertThat(second.path("after").isNull()).isTrue();
        LostTransactions.Retraction r = plan.retractions().get(1);
        assertThat(r.shardLogOnly()).isFalse();
        assertThat(new String(r.headers().lastHeader(ChangeEnvelopeMapper.H_OP).value(), StandardCharsets.UTF_8))
                .isEqualTo("d");
        assertThat(new String(r.headers().lastHeader(ChangeEnvelopeMapper.H_ORIGIN).value(), StandardCharsets.UTF_8))
                .isEqualTo("retraction");
        assertThat(new String(r.headers().lastHeader(LostTransactions.H_RETRACTS).value(), StandardCharsets.UTF_8))
                .isEqualTo("0-1-11");
        assertThat(plan.describe()).contains("0-1-11,0-1-12").contains("2 retraction(s)");
    }

    @Test
    void transactionsRetractedAtAnEarlierStartAreNotRetractedAgain() throws Exception {
        List<LostTransactions.Logged> tail = List.of(
                change(0, "c", "0-1-10", "null", "{\"status\":\"a\"}"),
                change(1, "c", "0-1-11", "null", "{\"status\":\"b\"}"));
        LostTransactions.Plan first = LostTransactions.plan(offset("0-1-11", 0, 0), MariaDbGtidPosition.parse("0-1-10"),
                tail, NOW, 9);
        LostTransactions.Retraction r = first.retractions().get(0);
        List<LostTransactions.Logged> after = List.of(tail.get(0), tail.get(1),
                new LostTransactions.Logged(2, r.key(), r.value(), r.headers()));
        LostTransactions.Plan second = LostTransactions.plan(first.resumeOffset(), MariaDbGtidPosition.parse("0-1-10"),
                after, NOW, 9);
        assertThat(second.isEmpty()).isTrue();
    }

    @Test
    void aStoredPositionAheadWithNoPublishedChangeIsCutBackWithoutRetractions() throws Exception {
        LostTransactions.Plan plan = LostTransactions.plan(offset("0-1-97,3-3-119", 0, 0),
                MariaDbGtidPosition.parse("0-1-97,3-3-117"), List.of(), NOW, 1);
        assertThat(plan.isEmpty()).isFalse();
        assertThat(plan.retractions()).isEmpty();
        assertThat(plan.resumeOffset().path("gtids").asText()).isEqualTo("0-1-97,3-3-117");
    }

    private static LostTransactions.Logged snapshotRead(long offset) {
        String value = "{\"version\":1,\"op\":\"r\",\"table\":\"vehicles\",\"tenant\":\"t1\",\"fleet\":\"f1\","
                + "\"shard\":\"m1\",\"key\":{\"vehicle_id\":\"v1\"},\"before\":null,\"after\":{\"status\":\"a\"},"
                + "\"snapshot\":true,\"mapVersion\":5}";
        RecordHeaders h = new RecordHeaders();
        h.add(ChangeEnvelopeMapper.H_OP, "r".getBytes(StandardCharsets.UTF_8));
        return new LostTransactions.Logged(offset, "{\"vehicle_id\":\"v1\"}".getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), h);
    }

    @Test
    void changesBeforeASnapshotAreAnotherServersHistoryNotLostTransactions() throws Exception {
        // a promoted warm standby (server 2, GTID domain 2): capture was reset and snapshotted it; before the snapshot
        // the shard log holds the lost region's primary's changes (domain 0), which this server never had
        List<LostTransactions.Logged> tail = List.of(
                change(0, "c", "0-1-40", "null", "{\"status\":\"a\"}"),
                change(1, "u", "0-1-41", "{\"status\":\"a\"}", "{\"status\":\"b\"}"),
                snapshotRead(2),
                change(3, "u", "2-2-7", "{\"status\":\"a\"}", "{\"status\":\"c\"}"));
        MariaDbGtidPosition standby = MariaDbGtidPosition.parse("2-2-7");
        LostTransactions.Plan plan = LostTransactions.plan(offset("2-2-7", 0, 0), standby, tail, NOW, 12);
        assertThat(plan.isEmpty()).as(plan.describe()).isTrue();
        // without the snapshot in between, the same changes would count as lost
        assertThat(LostTransactions.plan(offset("2-2-7", 0, 0), standby, List.of(tail.get(0), tail.get(1),
                tail.get(3)), NOW, 12).lostGtids()).containsExactly("0-1-40", "0-1-41");
    }

    @Test
    void aChangeAfterTheSnapshotThatTheServerLacksIsStillLost() throws Exception {
        List<LostTransactions.Logged> tail = List.of(
                change(0, "c", "0-1-40", "null", "{\"status\":\"a\"}"),
                snapshotRead(1),
                change(2, "u", "2-2-7", "{\"status\":\"a\"}", "{\"status\":\"c\"}"),
                change(3, "u", "2-2-8", "{\"status\":\"c\"}", "{\"status\":\"d\"}"));
        LostTransactions.Plan plan = LostTransactions.plan(offset("2-2-8", 0, 0), MariaDbGtidPosition.parse("2-2-7"),
                tail, NOW, 12);
        assertThat(plan.lostGtids()).containsExactly("2-2-8");
        assertThat(plan.retractions()).hasSize(1);
        assertThat(plan.resumeOffset().path("gtids").asText()).isEqualTo("2-2-7");
        assertThat(LostTransactions.sinceLastSnapshot(tail)).isEqualTo(2);
        assertThat(LostTransactions.sinceLastSnapshot(List.of())).isZero();
    }
}
