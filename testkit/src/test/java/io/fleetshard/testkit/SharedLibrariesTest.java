package io.fleetshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedLibrariesTest {
    private static final String LDD = """
            \tlinux-vdso.so.1 (0x00007ffc1b3f2000)
            \tlibaio.so.1 => not found
            \tlibssl.so.1.0.0 => /tmp/mysql/lib/libssl.so.1.0.0 (0x00007f1c2a000000)
            \tlibnuma.so.1 => not found
            \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1c29c00000)
            """;

    @Test
    void findsTheLibrariesLddCannotResolve() {
        assertThat(SharedLibraries.missing(LDD)).containsExactly("libaio.so.1", "libnuma.so.1");
        assertThat(SharedLibraries.missing("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n")).isEmpty();
    }

    @Test
    void messageNamesEveryMissingLibraryAndTheExactFix() {
        String m = SharedLibraries.message("MySQL 8", Path.of("/tmp/mysql/bin/mysqld"),
                List.of("libaio.so.1", "libnuma.so.1"));
        assertThat(m).isEqualTo("the embedded MySQL 8 server cannot start: the system lacks libaio.so.1, libnuma.so.1"
                + " (needed by /tmp/mysql/bin/mysqld). Fix: sudo apt-get install -y libaio1 libnuma1 (Debian/Ubuntu;"
                + " as root without sudo; `./fleetshard test` does it for you when run as root), then run the tests"
                + " again.");
    }

    @Test
    void aLibraryWithoutAKnownPackageIsStillNamed() {
        assertThat(SharedLibraries.message("MariaDB", Path.of("/x/mariadbd"), List.of("libfoo.so.9")))
                .contains("the system lacks libfoo.so.9", "install the package providing libfoo.so.9");
    }
}
