package io.fleetshard.streams;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The stream processors talk to the rest through Kafka topics and the target database; of our modules they use only
 * the standby's {@code ChangeApplier} (applying changes the same way) and config support. Public is what the launcher
 * and the control plane wire.
 */
class StreamProcessorsArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void usesNoOtherModuleButTheStandbysChangeApplier() {
        noClasses().that().resideInAPackage("io.fleetshard.streams..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fleetshard.router..", "io.fleetshard.cdc..",
                        "io.fleetshard.controlapi..", "io.fleetshard.testkit..", "io.fleetshard.launcher..",
                        "io.fleetshard.bench..", "io.fleetshard.archiver..", "io.fleetshard.archive..", "io.fleetshard.shardmap..")
                .check(classes);
        noClasses().that().resideInAPackage("io.fleetshard.streams..")
                .should().dependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                        "standby classes other than ChangeApplier/StandbyException",
                        c -> c.getPackageName().startsWith("io.fleetshard.standby")
                                && !c.getSimpleName().equals("ChangeApplier") && !c.getSimpleName().equals("StandbyException")))
                .check(classes);
    }

    @Test
    void onlyTheWiringSurfaceIsPublic() {
        classes().that().resideInAPackage("io.fleetshard.streams").and().haveModifier(JavaModifier.PUBLIC)
                .should().haveSimpleNameStartingWith("DeltaSync")
                .orShould().haveSimpleName("HotFleetDetector")
                .orShould().haveSimpleName("HotFleetConfig")
                .orShould().haveSimpleName("StreamProcessorException")
                .orShould().haveSimpleName("Builder")
                .orShould().haveSimpleName("Key")
                .check(classes);
    }
}
