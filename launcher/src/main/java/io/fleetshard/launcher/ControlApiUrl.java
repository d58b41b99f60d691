package io.fleetshard.launcher;

import java.net.URI;
import java.net.URISyntaxException;

/** The control API's base URL that the operator commands call ({@code --control-api}, {@code FLEETSHARD_CONTROL_API}). */
final class ControlApiUrl {
    private ControlApiUrl() {
    }

    /**
     * {@code url} if it is an http or https URL with a host, else an {@link IllegalArgumentException} that names it
     * (the JDK's own message, e.g. "URI with undefined scheme", does not say which value or what to write).
     */
    static String check(String url) {
        try {
            URI uri = new URI(url);
            if (("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                    && uri.getHost() != null && uri.getRawQuery() == null && uri.getRawFragment() == null) {
                return url;
            }
        } catch (URISyntaxException e) {
            // said below
        }
        throw new IllegalArgumentException("--control-api must be an http:// or https:// URL such as"
                + " http://127.0.0.1:8081, got '" + url + "'");
    }
}
