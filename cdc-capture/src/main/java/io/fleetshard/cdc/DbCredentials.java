package io.fleetshard.cdc;

import java.util.Objects;

/** A database login used by a capture engine. {@link #toString()} masks the password. */
public record DbCredentials(String user, String password) {
    public DbCredentials {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("database user must not be blank");
        }
        password = Objects.requireNonNullElse(password, "");
    }

    @Override
    public String toString() {
        return "DbCredentials[user=" + user + ", password=" + (password.isEmpty() ? "<empty>" : "******") + "]";
    }
}
