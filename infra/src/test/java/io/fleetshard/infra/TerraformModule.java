package io.fleetshard.infra;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parsed .tf files of one Terraform module directory, as one configuration (Terraform merges them too). */
record TerraformModule(Path dir, List<JsonNode> files) {

    /** Blocks {@code kind "type" "name" {...}}: name to body (resource, data). */
    Map<String, JsonNode> blocks(String kind, String type) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode f : files) {
            f.path(kind).path(type).properties().forEach(e -> out.put(e.getKey(), e.getValue().path(0)));
        }
        return out;
    }

    Map<String, JsonNode> resources(String type) {
        return blocks("resource", type);
    }

    JsonNode resource(String type, String name) {
        JsonNode r = resources(type).get(name);
        if (r == null) {
            throw new AssertionError(dir + " has no resource " + type + "." + name + "; it has "
                    + resources(type).keySet());
        }
        return r;
    }

    Map<String, JsonNode> data(String type) {
        return blocks("data", type);
    }

    /** {@code module "name" {...}} blocks. */
    Map<String, JsonNode> modules() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode f : files) {
            f.path("module").properties().forEach(e -> out.put(e.getKey(), e.getValue().path(0)));
        }
        return out;
    }

    /** {@code provider "name" {...}} blocks (one per alias). */
    List<JsonNode> providers(String name) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode f : files) {
            f.path("provider").path(name).forEach(out::add);
        }
        return out;
    }

    /** Every {@code locals} attribute. */
    Map<String, JsonNode> locals() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode f : files) {
            f.path("locals").forEach(l -> l.properties().forEach(e -> out.put(e.getKey(), e.getValue())));
        }
        return out;
    }

    Map<String, JsonNode> variables() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode f : files) {
            f.path("variable").properties().forEach(e -> out.put(e.getKey(), e.getValue().path(0)));
        }
        return out;
    }
}
