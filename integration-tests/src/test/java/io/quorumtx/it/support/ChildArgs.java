package io.quorumtx.it.support;

import java.util.HashMap;
import java.util.Map;

/** The {@code key=value} arguments the tests' child JVMs take. */
public final class ChildArgs {
    private ChildArgs() {
    }

    public static Map<String, String> parse(String[] args) {
        Map<String, String> parsed = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("child argument '" + arg + "' is not key=value");
            }
            parsed.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        return parsed;
    }
}
