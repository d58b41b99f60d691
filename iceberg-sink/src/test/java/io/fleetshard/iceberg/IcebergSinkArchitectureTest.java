package io.fleetshard.iceberg;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The sink talks to the rest only through the change topics (docs/spec/change-events.md); it exposes only its wiring. */
class IcebergSinkArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void dependsOnNoOtherModulesClasses() {
        noClasses().that().resideInAPackage("io.fleetshard.iceberg..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fleetshard.cdc..", "io.fleetshard.router..",
                        "io.fleetshard.controlapi..", "io.fleetshard.standby..", "io.fleetshard.archiver..",
                        "io.fleetshard.testkit..", "io.fleetshard.launcher..", "io.fleetshard.shardmap..")
                .check(classes);
    }

    @Test
    void onlyTheWiringSurfaceIsPublic() {
        classes().that().resideInAPackage("io.fleetshard.iceberg").and().haveModifier(JavaModifier.PUBLIC)
                .should().haveSimpleNameStartingWith("IcebergSink").orShould().haveSimpleName("TableSinkStatus")
                .orShould().haveSimpleName("Builder").orShould().haveSimpleName("Key")
                .orShould().haveNameMatching("io\\.fleetshard\\.iceberg\\.IcebergSinkOffload\\$\\w+")
                .check(classes);
    }
}
