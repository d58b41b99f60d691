package io.fleetshard.controlapi;

import java.util.List;

/** The control API's configuration is invalid; {@link #problems()} lists every problem found, not just the first. */
public class ControlApiConfigException extends ControlApiException {
    private final List<String> problems;

    public ControlApiConfigException(List<String> problems) {
        super("invalid control-API configuration (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                + "):\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
