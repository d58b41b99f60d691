package io.fleetshard.iceberg.sql;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The engine reads the sink's tables through the catalog and S3 only, like any other engine (ADR 0019): none of our
 * classes on its classpath, so Spark's never meets the platform's.
 */
class IcebergSqlArchitectureTest {
    private final JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void dependsOnNoOtherModulesClasses() {
        noClasses().that().resideInAPackage("io.fleetshard.iceberg.sql..")
                .should().dependOnClassesThat(JavaClass.Predicates.resideInAPackage("io.fleetshard..")
                        .and(JavaClass.Predicates.resideOutsideOfPackage("io.fleetshard.iceberg.sql..")))
                .check(classes);
    }

    @Test
    void onlyTheEntryPointAndTheSparkPlugInArePublic() {
        classes().that().resideInAPackage("io.fleetshard.iceberg.sql").and().haveModifier(JavaModifier.PUBLIC)
                .should().haveSimpleName("IcebergSql").orShould().haveSimpleName("NoMetricsServlet")
                .check(classes);
    }
}
