package io.fleetshard.shardmap;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** shard-map is the shared core: it uses nothing of ours (DESIGN.md "Modules"). */
class ShardMapArchitectureTest {
    // Import the module's own output only: scanning the whole classpath for the package takes seconds.
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void shardMapDependsOnNoOtherFleetShardModule() {
        noClasses().that().resideInAPackage("io.fleetshard.shardmap..")
                .should().dependOnClassesThat().resideInAnyPackage("io.fleetshard.router..",
                        "io.fleetshard.controlapi..", "io.fleetshard.testkit..", "io.fleetshard.http..",
                        "io.fleetshard.launcher..")
                .check(classes);
    }

    @Test
    void noJdbcOrHttpInTheDomain() {
        noClasses().that().resideInAPackage("io.fleetshard.shardmap..")
                .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "io.javalin..")
                .check(classes);
    }
}
