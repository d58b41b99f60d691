package io.fleetshard.router;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The router uses the shared core and the HTTP support only, and exposes only what the launcher wires. */
class RouterArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void routerDependsOnlyOnTheSharedModules() {
        noClasses().that().resideInAPackage("io.fleetshard.router..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fleetshard.controlapi..",
                        "io.fleetshard.testkit..", "io.fleetshard.launcher..", "io.fleetshard.bench..")
                .check(classes);
    }

    @Test
    void onlyTheWiringSurfaceIsPublic() {
        classes().that().resideInAPackage("io.fleetshard.router").and().haveModifier(JavaModifier.PUBLIC)
                .should().haveSimpleNameStartingWith("Router")
                .orShould().haveSimpleName("FleetSchema")
                .orShould().haveSimpleName("Builder")
                .orShould().haveSimpleNameEndingWith("Exception")
                .check(classes);
    }
}
