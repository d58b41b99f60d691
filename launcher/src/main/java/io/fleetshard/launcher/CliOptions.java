package io.fleetshard.launcher;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options of a command line, each known name at most once; what is wrong goes to problems. */
final class CliOptions {
    private CliOptions() {
    }

    /**
     * The values of {@code args} from index {@code from} on, by option name ({@code --role}).
     *
     * @param known the option names the command takes
     * @param problems receives "--x needs a value", "unexpected argument y", "unknown option --z"
     */
    static Map<String, String> parse(List<String> args, int from, Set<String> known, List<String> problems) {
        Map<String, String> values = new HashMap<>();
        for (int i = from; i < args.size(); i++) {
            String a = args.get(i);
            if (i + 1 >= args.size() || !a.startsWith("--")) {
                problems.add(a.startsWith("--") ? a + " needs a value" : "unexpected argument " + a);
                continue;
            }
            String v = args.get(++i);
            if (known.contains(a)) {
                values.put(a, v);
            } else {
                problems.add("unknown option " + a);
            }
        }
        return values;
    }
}
