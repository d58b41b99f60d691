package io.fleetshard.controlapi;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The module's boundaries (STYLE.md 1, 2): only shard-map, http-support and archive-format (the archive's wire format,
 * to read its newest manifests) of ours, Kafka clients only to read topics (shard-log ends, hot-fleet reports), no S3 SDK (the launcher builds the store), and a small public surface.
 */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.fleetshard.controlapi");

    @Test
    void usesNoOtherFleetShardModuleThanShardMapHttpSupportAndArchiveFormat() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.fleetshard.router..",
                "io.fleetshard.testkit..", "io.fleetshard.launcher..").check(CLASSES);
        classes().should().onlyDependOnClassesThat().resideInAnyPackage("io.fleetshard.controlapi..",
                "io.fleetshard.shardmap..", "io.fleetshard.http..", "io.fleetshard.archive.format..", "java..", "io.javalin..",
                "com.fasterxml.jackson..", "io.micrometer..", "org.slf4j..", "jakarta.servlet..",
                // resharding reads the shard logs' end offsets and the hot-fleet reports (ADR 0013)
                "org.apache.kafka.clients..", "org.apache.kafka.common..",
                // the bulk copy streams PostgreSQL's COPY between two shards
                "org.postgresql..", "")
                .check(CLASSES);
    }

    @Test
    void publicSurfaceIsTheApiItsConfigAndItsExceptions() {
        Set<String> allowed = Set.of("ControlApi", "ControlApiConfig", "ControlApiConfigException",
                "ControlApiException");
        classes().that().haveModifier(JavaModifier.PUBLIC).and().areTopLevelClasses()
                .should().haveNameMatching("io\\.fleetshard\\.controlapi\\.(" + String.join("|", allowed) + ")")
                .check(CLASSES);
    }

    @Test
    void neverCallsSystemExitOrSleeps() {
        noClasses().should().callMethod(System.class, "exit", int.class)
                .orShould().callMethod(Thread.class, "sleep", long.class).check(CLASSES);
    }
}
