package io.fleetshard.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetshard.testkit.ClosableConnections;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class SourceLagConnectionTest {

    /** Connections that only know whether they were closed. */
    private static final class FakeServer extends ClosableConnections implements SourceLagConnection.Opener {
    }

    private final FakeServer server = new FakeServer();
    private final SourceLagConnection lag = new SourceLagConnection(server);
    private final List<Connection> used = new ArrayList<>();

    @Test
    void roundsReuseOneConnection() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(lag.run(used::add)).isTrue();
        }
        assertThat(server.opened()).isEqualTo(1);
        assertThat(used).containsOnly(used.get(0));
        assertThat(server.closed(0)).isFalse();
    }

    @Test
    void aBrokenKeptConnectionIsClosedAndTheRoundRunsOnANewOne() throws Exception {
        lag.run(used::add);
        AtomicBoolean broken = new AtomicBoolean(true);
        assertThat(lag.run(c -> {
            if (broken.getAndSet(false)) {
                throw new SQLNonTransientConnectionException("An I/O error occurred while sending to the backend",
                        "08006");
            }
            used.add(c);
        })).isTrue();

        assertThat(server.opened()).isEqualTo(2);
        assertThat(server.closed(0)).as("the broken one").isTrue();
        assertThat(used.get(1)).isNotSameAs(used.get(0));
        lag.run(used::add);
        assertThat(used.get(2)).as("the new one is kept").isSameAs(used.get(1));
    }

    @Test
    void anErrorTheServerAnsweredKeepsTheConnectionAndIsNotRetried() throws Exception {
        lag.run(used::add);
        assertThatThrownBy(() -> lag.run(c -> {
            throw new SQLSyntaxErrorException("Access denied; you need the REPLICATION CLIENT privilege", "42000");
        })).isInstanceOf(SQLSyntaxErrorException.class);

        assertThat(server.opened()).isEqualTo(1);
        assertThat(server.closed(0)).isFalse();
    }

    @Test
    void aNewConnectionThatFailsIsClosedAndTheFailureThrown() {
        assertThatThrownBy(() -> lag.run(c -> {
            throw new SQLNonTransientConnectionException("terminating connection", "57P01");
        })).hasMessage("terminating connection");

        assertThat(server.opened()).isEqualTo(1);
        assertThat(server.closed(0)).isTrue();
    }

    @Test
    void closeClosesTheConnectionAndLaterRoundsOpenNone() throws Exception {
        lag.run(used::add);
        lag.close();

        assertThat(server.closed(0)).isTrue();
        assertThat(lag.run(used::add)).isFalse();
        assertThat(server.opened()).isEqualTo(1);
    }

    @Test
    void aRoundCutShortByCloseEndsWithoutAFailure() throws Exception {
        assertThat(lag.run(c -> {
            lag.close(); // the capture stops while the round's query runs
            throw new SQLException("This connection has been closed.", "08003");
        })).isFalse();
        assertThat(server.opened()).isEqualTo(1);
        assertThat(server.closed(0)).isTrue();
    }
}
