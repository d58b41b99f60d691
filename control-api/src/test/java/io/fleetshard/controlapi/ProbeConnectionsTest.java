package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.testkit.ClosableConnections;
import io.fleetshard.testkit.ManualClock;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ProbeConnectionsTest {
    private static final String URL = "jdbc:postgresql://127.0.0.1:5432/fleet";
    private static final Duration LONG = Duration.ofHours(1);

    /** Connections that only know whether they were closed; or a refusal of every connection. */
    private static final class FakeServer extends ClosableConnections implements ProbeConnections.Opener {
        SQLException refuse;

        @Override
        public Connection open(String url, Properties properties) throws SQLException {
            if (refuse != null) {
                throw refuse;
            }
            return open();
        }
    }

    private static Properties user(String name) {
        Properties p = new Properties();
        p.setProperty("user", name);
        return p;
    }

    @Test
    void reusesTheConnectionOfAUrlAcrossProbes() throws SQLException {
        FakeServer server = new FakeServer();
        ProbeConnections pool = new ProbeConnections(server, LONG, LONG, Clock.systemUTC());
        List<Connection> used = new ArrayList<>();

        for (int i = 0; i < 3; i++) {
            boolean added = pool.run(URL, user("probe"), c -> used.add(c));
            assertThat(added).isTrue();
        }

        assertThat(server.opened()).isEqualTo(1);
        assertThat(used).containsOnly(used.get(0));
        assertThat(pool.keptCount()).isEqualTo(1);
        pool.run(URL, user("other"), c -> c);
        assertThat(server.opened()).as("another user is another connection").isEqualTo(2);
    }

    @Test
    void aQuickFailureOfAKeptConnectionIsRetriedOnANewOne() throws SQLException {
        FakeServer server = new FakeServer();
        ProbeConnections pool = new ProbeConnections(server, LONG, LONG, Clock.systemUTC());
        Connection first = pool.run(URL, user("probe"), c -> c);

        String answer = pool.run(URL, user("probe"), c -> {
            if (c == first) {
                throw new SQLTransientConnectionException("An I/O error occurred", "08006");
            }
            return "up";
        });

        assertThat(answer).isEqualTo("up");
        assertThat(server.opened()).isEqualTo(2);
        assertThat(server.closed(0)).as("the broken one is closed").isTrue();
        assertThat(server.closed(1)).as("the new one is kept").isFalse();
        assertThat(pool.keptCount()).isEqualTo(1);
    }

    @Test
    void aSlowFailureIsReportedAtOnceSoAHungServerCostsOneTimeoutNotTwo() throws SQLException {
        FakeServer server = new FakeServer();
        // a zero timeout makes every failure count as slow (it took at least half the timeout)
        ProbeConnections pool = new ProbeConnections(server, Duration.ZERO, LONG, Clock.systemUTC());
        pool.run(URL, user("probe"), c -> c);

        assertThatThrownBy(() -> pool.run(URL, user("probe"), c -> {
            throw new SQLTransientConnectionException("Read timed out", "08006");
        })).hasMessage("Read timed out");

        assertThat(server.opened()).as("no second attempt").isEqualTo(1);
        assertThat(server.closed(0)).isTrue();
        assertThat(pool.keptCount()).isZero();
    }

    @Test
    void aStatementErrorTheServerAnsweredKeepsTheConnection() throws SQLException {
        FakeServer server = new FakeServer();
        ProbeConnections pool = new ProbeConnections(server, LONG, LONG, Clock.systemUTC());

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> pool.run(URL, user("probe"), c -> {
                throw new SQLSyntaxErrorException("relation \"fleetshard_standby_position\" does not exist", "42P01");
            })).hasMessageContaining("does not exist");
        }

        assertThat(server.opened()).isEqualTo(1);
        assertThat(server.closed(0)).isFalse();
        assertThat(pool.keptCount()).isEqualTo(1);
    }

    @Test
    void aServerThatRefusesIsAFailureLikeBefore() {
        FakeServer server = new FakeServer();
        server.refuse = new SQLException("Connection refused", "08001");
        ProbeConnections pool = new ProbeConnections(server, LONG, LONG, Clock.systemUTC());

        assertThatThrownBy(() -> pool.run(URL, user("probe"), c -> c)).hasMessage("Connection refused");
        assertThat(pool.keptCount()).isZero();
    }

    @Test
    void aConnectionInUseIsNotLentTwice() throws SQLException {
        FakeServer server = new FakeServer();
        ProbeConnections pool = new ProbeConnections(server, LONG, LONG, Clock.systemUTC());
        pool.run(URL, user("probe"), c -> c);

        // a probe still running (its round timed out) while the next round probes the same node
        Connection inner = pool.run(URL, user("probe"), outer -> pool.run(URL, user("probe"), c -> {
            assertThat(c).isNotSameAs(outer);
            return c;
        }));

        assertThat(server.opened()).isEqualTo(2);
        assertThat(pool.keptCount()).isEqualTo(1);
        assertThat(server.closed(0)).as("the second one back is closed, one is kept").isTrue();
        Connection again = pool.run(URL, user("probe"), c -> c);
        assertThat(again).isSameAs(inner);
    }

    @Test
    void closesConnectionsUnusedForLongerThanKeepIdleAndAllOnClose() throws SQLException {
        FakeServer server = new FakeServer();
        ManualClock clock = new ManualClock(Instant.parse("2026-12-07T15:00:00Z"));
        ProbeConnections pool = new ProbeConnections(server, LONG, Duration.ofSeconds(30), clock);
        pool.run("jdbc:postgresql://gone/fleet", user("probe"), c -> c);
        clock.advance(Duration.ofSeconds(31));

        pool.run(URL, user("probe"), c -> c);

        assertThat(server.closed(0)).as("a node that left the map").isTrue();
        assertThat(pool.keptCount()).isEqualTo(1);
        pool.close();
        assertThat(server.closed(1)).isTrue();
        assertThat(pool.keptCount()).isZero();
        pool.run(URL, user("probe"), c -> c);
        assertThat(pool.keptCount()).as("nothing is kept once closed").isZero();
        assertThat(server.closed(2)).isTrue();
    }
}
