package io.fleetshard.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How fresh a read must be. The router knows {@code strong}, {@code bounded} and {@code eventual}; the client adds
 * {@link #READ_YOUR_WRITES}, which is {@code eventual} plus the session's last write token of the fleet.
 *
 * <table>
 *   <caption>What each mode sends to the router</caption>
 *   <tr><th>mode</th><th>{@code consistency}</th><th>session token as {@code afterToken}</th></tr>
 *   <tr><td>{@link #STRONG}</td><td>strong (the primary)</td><td>no (the primary has every write)</td></tr>
 *   <tr><td>{@link #bounded}</td><td>bounded + maxStalenessMs</td><td>yes</td></tr>
 *   <tr><td>{@link #READ_YOUR_WRITES}</td><td>eventual</td><td>yes</td></tr>
 *   <tr><td>{@link #EVENTUAL}</td><td>eventual</td><td>no</td></tr>
 * </table>
 * Writes always run on the primary, whatever the consistency.
 *
 * @param mode the mode
 * @param maxStaleness for {@link Mode#BOUNDED} only: the most replication lag a replica may have to serve the read
 */
public record Consistency(Mode mode, Duration maxStaleness) {
    /** The consistency modes. */
    public enum Mode { STRONG, BOUNDED, READ_YOUR_WRITES, EVENTUAL }

    /** Reads on the fleet's primary. The router's default. */
    public static final Consistency STRONG = new Consistency(Mode.STRONG, null);
    /** The nearest replica that has replayed this session's last write of the fleet, else the primary. */
    public static final Consistency READ_YOUR_WRITES = new Consistency(Mode.READ_YOUR_WRITES, null);
    /** The nearest healthy replica, else the primary; this session's writes may not be visible yet. */
    public static final Consistency EVENTUAL = new Consistency(Mode.EVENTUAL, null);

    public Consistency {
        Objects.requireNonNull(mode, "mode");
        if (mode == Mode.BOUNDED) {
            if (maxStaleness == null || maxStaleness.isNegative()) {
                throw new IllegalArgumentException("bounded consistency needs a maxStaleness of 0 or more, got "
                        + maxStaleness);
            }
        } else if (maxStaleness != null) {
            throw new IllegalArgumentException("maxStaleness applies to bounded consistency only, not " + mode);
        }
    }

    /** A replica whose measured lag is at most {@code maxStaleness} (and that has this session's last write). */
    public static Consistency bounded(Duration maxStaleness) {
        return new Consistency(Mode.BOUNDED, maxStaleness);
    }

    /** The router's {@code consistency} field. */
    String wireName() {
        return switch (mode) {
            case STRONG -> "strong";
            case BOUNDED -> "bounded";
            case READ_YOUR_WRITES, EVENTUAL -> "eventual";
        };
    }

    /** Whether reads in this mode carry the session's last write token of the fleet. */
    boolean carriesSessionToken() {
        return mode == Mode.BOUNDED || mode == Mode.READ_YOUR_WRITES;
    }

    @Override
    public String toString() {
        return mode == Mode.BOUNDED ? "bounded(" + maxStaleness.toMillis() + " ms)"
                : mode.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
