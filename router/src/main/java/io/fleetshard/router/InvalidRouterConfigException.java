package io.fleetshard.router;

import java.util.List;

/** The router's configuration has one or more problems; {@link #problems()} lists every one of them. */
public class InvalidRouterConfigException extends RouterException {
    private final List<String> problems;

    public InvalidRouterConfigException(List<String> problems) {
        super("invalid router configuration (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                + "): " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
