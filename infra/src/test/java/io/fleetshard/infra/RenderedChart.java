package io.fleetshard.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;

/** The objects `helm template` rendered, parsed from its multi-document YAML, looked up by kind and name. */
final class RenderedChart {
    private static final YAMLMapper YAML = new YAMLMapper();

    private final List<JsonNode> objects;

    private RenderedChart(List<JsonNode> objects) {
        this.objects = List.copyOf(objects);
    }

    static RenderedChart parse(String manifest) {
        List<JsonNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(manifest)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                    out.add(doc);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("helm template rendered YAML that does not parse: " + e.getMessage()
                    + "\n" + manifest, e);
        }
        return new RenderedChart(out);
    }

    List<JsonNode> all() {
        return objects;
    }

    List<JsonNode> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(o -> name.equals(o.path("metadata").path("name").asText())).findFirst();
    }

    JsonNode get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " rendered; "
                + kind + "s: " + names(kind)));
    }

    List<String> names(String kind) {
        return ofKind(kind).stream().map(o -> o.path("metadata").path("name").asText()).toList();
    }

    /** app.kubernetes.io/component label of each object of the kind, to its object. */
    Map<String, JsonNode> byComponent(String kind) {
        return ofKind(kind).stream().collect(Collectors.toMap(
                o -> o.path("metadata").path("labels").path("app.kubernetes.io/component").asText(), o -> o,
                (a, b) -> a, LinkedHashMap::new));
    }

    /** One properties file of a ConfigMap (component.properties or platform.properties). */
    static Properties properties(JsonNode configMap, String file) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(configMap.path("data").path(file).asText()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }

    static JsonNode container(JsonNode deployment) {
        return deployment.path("spec").path("template").path("spec").path("containers").path(0);
    }
}
