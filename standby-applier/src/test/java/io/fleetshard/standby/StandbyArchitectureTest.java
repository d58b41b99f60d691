package io.fleetshard.standby;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The standby applier uses the archive format only, and exposes only what the launcher wires. */
class StandbyArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void dependsOnlyOnTheArchiveFormat() {
        noClasses().that().resideInAPackage("io.fleetshard.standby..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fleetshard.router..", "io.fleetshard.cdc..",
                        "io.fleetshard.controlapi..", "io.fleetshard.testkit..", "io.fleetshard.launcher..",
                        "io.fleetshard.bench..", "io.fleetshard.archiver..")
                .check(classes);
    }

    @Test
    void onlyTheWiringSurfaceIsPublic() {
        classes().that().resideInAPackage("io.fleetshard.standby").and().haveModifier(JavaModifier.PUBLIC)
                .should().haveSimpleNameStartingWith("Standby")
                .orShould().haveSimpleName("ApplierState")
                .orShould().haveSimpleName("SnapshotWriter")
                .orShould().haveSimpleName("PointInTimeRestore")
                .orShould().haveSimpleNameStartingWith("Restore")
                .orShould().haveSimpleName("Builder")
                .orShould().haveSimpleName("Key")
                .orShould().haveSimpleName("Phase")
                .orShould().haveSimpleName("Listener")
                // the entry point of stream-processors' delta sync (ADR 0013), which applies changes as the standby does
                .orShould().haveSimpleName("ChangeApplier")
                .check(classes);
    }
}
