package io.fleetshard.testkit;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A fake for code that keeps, reuses and closes JDBC connections without running statements on them (probe and lag
 * connections): each connection it opens knows only whether it was closed; any other call fails. Not thread-safe.
 * Tests extend it to implement the opener interface of the code under test.
 */
public class ClosableConnections {
    private final List<AtomicBoolean> closed = new ArrayList<>();

    /** A new connection, counted. */
    public Connection open() {
        AtomicBoolean flag = new AtomicBoolean();
        closed.add(flag);
        return (Connection) Proxy.newProxyInstance(ClosableConnections.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "close" -> {
                        flag.set(true);
                        yield null;
                    }
                    case "isClosed" -> flag.get();
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** How many connections were opened. */
    public int opened() {
        return closed.size();
    }

    /** Whether the {@code index}-th connection opened (from 0) was closed. */
    public boolean closed(int index) {
        return closed.get(index).get();
    }
}
