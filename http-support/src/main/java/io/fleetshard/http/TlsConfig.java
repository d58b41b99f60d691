package io.fleetshard.http;

import io.javalin.config.JavalinConfig;
import io.javalin.config.JettyConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * HTTPS for one HTTP component (ADR 0020 part D): the keys are declared once here, relative to the component's prefix
 * ({@code router.}, {@code control.}), and each component's config adds them to its own, as with
 * {@link io.fleetshard.http.auth.AuthConfig}. With {@code tls.keystore.path} set the server listens with TLS only, on
 * the same host and port (no plain HTTP); empty, it serves plain HTTP as before.
 */
public final class TlsConfig {
    public static final String KEYSTORE_PATH = "tls.keystore.path";
    public static final String KEYSTORE_PASSWORD = "tls.keystore.password";
    public static final String KEYSTORE_TYPE = "tls.keystore.type";

    /** One setting, as {@link io.fleetshard.http.auth.AuthConfig.Setting}: {@code {p}} in the doc is the prefix. */
    public record Setting(String suffix, String defaultValue, boolean secret, String doc,
            Function<String, String> check) {
        public String doc(String prefix) {
            return doc.replace("{p}", prefix);
        }
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting(KEYSTORE_PATH, "", false, "Key store (PKCS12 or JKS file) holding the server's private key and"
                    + " certificate chain: when set, the server speaks HTTPS only (TLS 1.2 or 1.3) on its host and"
                    + " port; empty: plain HTTP (terminate TLS in front of it). ADR 0020.",
                    v -> v.isEmpty() || Files.isReadable(Path.of(v)) ? null : "must be a readable file"),
            new Setting(KEYSTORE_PASSWORD, "", true, "Password of `{p}tls.keystore.path` (and of its key).",
                    v -> null),
            new Setting(KEYSTORE_TYPE, "PKCS12", false, "Type of `{p}tls.keystore.path`: PKCS12 or JKS.",
                    v -> v.equals("PKCS12") || v.equals("JKS") ? null : "must be PKCS12 or JKS"));

    private final Path keyStore;
    private final String password;
    private final String type;

    private TlsConfig(Function<String, String> values) {
        String path = values.apply(KEYSTORE_PATH);
        this.keyStore = path == null || path.isEmpty() ? null : Path.of(path);
        this.password = values.apply(KEYSTORE_PASSWORD);
        this.type = values.apply(KEYSTORE_TYPE);
    }

    /** Every setting, in the order of the README tables. */
    public static List<Setting> settings() {
        return SETTINGS;
    }

    /**
     * The problems of settings that passed their own checks ({@code valueOf} maps a suffix to its value, default
     * applied): a key store that cannot be opened with the password, or holds no private key.
     */
    public static List<String> problems(String prefix, Function<String, String> valueOf) {
        List<String> problems = new ArrayList<>();
        String path = valueOf.apply(KEYSTORE_PATH);
        if (path == null || path.isEmpty() || !Files.isReadable(Path.of(path))) {
            return problems;
        }
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            KeyStore ks = KeyStore.getInstance(valueOf.apply(KEYSTORE_TYPE).toUpperCase(Locale.ROOT));
            ks.load(in, valueOf.apply(KEYSTORE_PASSWORD).toCharArray());
            boolean hasKey = false;
            for (String alias : java.util.Collections.list(ks.aliases())) {
                hasKey |= ks.isKeyEntry(alias);
            }
            if (!hasKey) {
                problems.add(prefix + KEYSTORE_PATH + " (" + path + ") holds no private key: it needs the server's key"
                        + " and certificate chain");
            }
        } catch (Exception e) {
            problems.add(prefix + KEYSTORE_PATH + " (" + path + ") cannot be opened as " + valueOf.apply(KEYSTORE_TYPE)
                    + " with " + prefix + KEYSTORE_PASSWORD + ": " + e.getMessage());
        }
        return problems;
    }

    /** The settings; {@code valueOf} maps a suffix to a value that passed its check and {@link #problems}. */
    public static TlsConfig of(Function<String, String> valueOf) {
        return new TlsConfig(valueOf);
    }

    /** Whether the server speaks HTTPS. */
    public boolean enabled() {
        return keyStore != null;
    }

    /**
     * With TLS on, makes {@code javalin}'s only connector a TLS one on the host and port it is started with; without,
     * changes nothing.
     */
    public void install(JavalinConfig javalin) {
        if (!enabled()) {
            return;
        }
        JettyConfig jetty = javalin.jetty;
        jetty.addConnector((server, http) -> {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(keyStore.toString());
            ssl.setKeyStorePassword(password);
            ssl.setKeyStoreType(type);
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            // clients reach the servers by address as often as by name; the certificate's names are the client's check
            secure.setSniHostCheck(false);
            http.addCustomizer(secure);
            ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
                    new HttpConnectionFactory(http));
            connector.setHost(jetty.host);
            connector.setPort(jetty.port);
            return connector;
        });
    }
}
