package io.fleetshard.archiver;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The archiver talks to the rest only through Kafka topics and the archive format; it exposes only its wiring. */
class ArchiverArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void dependsOnlyOnTheArchiveFormat() {
        noClasses().that().resideInAPackage("io.fleetshard.archiver..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fleetshard.cdc..", "io.fleetshard.router..",
                        "io.fleetshard.controlapi..", "io.fleetshard.standby..", "io.fleetshard.testkit..",
                        "io.fleetshard.launcher..")
                .check(classes);
    }

    @Test
    void onlyTheWiringSurfaceIsPublic() {
        classes().that().resideInAPackage("io.fleetshard.archiver").and().haveModifier(JavaModifier.PUBLIC)
                .should().haveSimpleNameStartingWith("Archiver").orShould().haveSimpleName("ShardArchiveStatus")
                .orShould().haveSimpleName("Builder").orShould().haveSimpleName("Key")
                .check(classes);
    }
}
