package io.fleetshard.client;

import java.util.List;

/** The client's configuration is invalid; {@link #problems()} lists every problem found, not just the first. */
public final class InvalidClientConfigException extends FleetShardException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    InvalidClientConfigException(List<String> problems) {
        super("invalid FleetShard client configuration (" + problems.size() + " problem"
                + (problems.size() == 1 ? "" : "s") + "): " + String.join("; ", problems), null, false, null);
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
