package io.fleetshard.config;

/** One setting of a component: its key, its default ({@code null}: required) and what it means. */
public interface ConfigKey {
    String key();

    String defaultValue();

    String doc();
}
