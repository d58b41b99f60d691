package io.fleetshard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigValuesTest {
    enum Key implements ConfigKey {
        HOST("host", null, "Where."), PORT("port", "80", "Which port."), NAME("name", "", "A name.");

        private final String key;
        private final String defaultValue;
        private final String doc;

        Key(String key, String defaultValue, String doc) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.doc = doc;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public String defaultValue() {
            return defaultValue;
        }

        @Override
        public String doc() {
            return doc;
        }
    }

    @Test
    void collectsUnknownKeysAndBadNumbersAndKeepsGoing() {
        ConfigValues<Key> v = ConfigValues.defaults(Key.class);
        ConfigProblems p = new ConfigProblems();
        Map<String, String> given = new LinkedHashMap<>();
        given.put("prot", "81");
        given.put("port", "eighty");
        given.put("shard.s1.user", "u");
        v.setAll(given, (k, value) -> k.startsWith("shard."), p);
        assertThat(v.number(Key.PORT, p)).isEqualTo(80);
        p.require(Key.HOST, v.text(Key.HOST));
        p.range(Key.PORT, 70_000, 1, 65_535);
        assertThat(p.message("demo")).isEqualTo("invalid demo configuration (4 problems): unknown key 'prot'; "
                + "port must be a number, got 'eighty'; host is required; port must be between 1 and 65535, got 70000");
    }

    @Test
    void rendersTheReadmeTable() {
        assertThat(ConfigValues.markdownTable(Key.class)).isEqualTo("| key | default | meaning |\n| --- | --- | --- |\n"
                + "| `host` | (required) | Where. |\n| `port` | `80` | Which port. |\n| `name` | (empty) | A name. |\n");
    }
}
