package io.fleetshard.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The client is embedded in applications: it uses the JDK (TLS included) and Jackson only, and shows a small API. */
class ClientArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void dependsOnTheJdkAndJacksonOnly() {
        noClasses().that().resideInAPackage("io.fleetshard.client..")
                .should().dependOnClassesThat().resideOutsideOfPackages("io.fleetshard.client..", "java..",
                        "javax.net.ssl..", "com.fasterxml.jackson..")
                .check(classes);
    }

    @Test
    void onlyTheClientsApiIsPublic() {
        classes().that().resideInAPackage("io.fleetshard.client").and().haveModifier(JavaModifier.PUBLIC)
                .should().haveSimpleNameStartingWith("FleetShard")
                .orShould().haveSimpleNameEndingWith("Exception")
                .orShould().haveSimpleNameEndingWith("Request")
                .orShould().haveSimpleNameEndingWith("Result")
                .orShould().haveSimpleName("Session")
                .orShould().haveSimpleName("Row")
                .orShould().haveSimpleName("Consistency")
                .orShould().haveSimpleName("Builder")
                .orShould().haveSimpleName("Config")
                .orShould().haveSimpleName("AutoBatch")
                .orShould().haveSimpleName("Mode")
                .orShould().haveSimpleName("ShardAnswer")
                .orShould().haveSimpleName("FailedShard")
                .orShould().haveSimpleName("Item")
                .check(classes);
    }
}
