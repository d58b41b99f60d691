package io.fleetshard.config;

import java.util.ArrayList;
import java.util.List;

/** Every problem of one configuration, so a user fixes them all in one round instead of one per start. */
public final class ConfigProblems {
    private final List<String> problems = new ArrayList<>();

    public void add(String problem) {
        problems.add(problem);
    }

    public void addAll(List<String> more) {
        problems.addAll(more);
    }

    public void require(ConfigKey key, String value) {
        if (value == null || value.isBlank()) {
            problems.add(key.key() + " is required");
        }
    }

    public void range(ConfigKey key, long value, long min, long max) {
        if (value < min || value > max) {
            problems.add(key.key() + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    public List<String> list() {
        return List.copyOf(problems);
    }

    /** {@code invalid <component> configuration (N problems): a; b}. */
    public String message(String component) {
        return "invalid " + component + " configuration (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s")
                + "): " + String.join("; ", problems);
    }
}
