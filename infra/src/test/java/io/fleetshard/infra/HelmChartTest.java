package io.fleetshard.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart {@code infra/helm/fleetshard}, rendered and linted by Helm's own library (helm-java), and the
 * rendered objects checked: what a cluster would be given.
 */
class HelmChartTest {
    static final Path INFRA = Path.of(System.getProperty("fleetshard.infra.dir", "."));
    static final Path CHART = INFRA.resolve("helm/fleetshard");
    static final Path PROD_VALUES = INFRA.resolve("src/test/resources/values-eu-west-1.yaml");
    static final String RELEASE = "fs";
    /** The chart requires Kubernetes 1.25+ (policy/v1 budgets); helm template alone assumes v1.20. */
    static final String KUBE_VERSION = "1.31.0";

    /** Every component and the name suffix of its objects. */
    static final Map<String, String> COMPONENTS = Map.of(
            "router", "fs-fleetshard-router",
            "control-api", "fs-fleetshard-control-api",
            "capture", "fs-fleetshard-capture",
            "archiver", "fs-fleetshard-archiver",
            "standby-applier-pg-1", "fs-fleetshard-standby-applier-pg-1",
            "standby-applier-maria-1", "fs-fleetshard-standby-applier-maria-1",
            "stream-processors", "fs-fleetshard-stream-processors",
            "iceberg-sink", "fs-fleetshard-iceberg-sink");

    static RenderedChart render(UnaryOperator<TemplateCommand> options) {
        TemplateCommand template = new Helm(CHART).template().withName(RELEASE).withNamespace("fleetshard")
                .withKubeVersion(KUBE_VERSION);
        return RenderedChart.parse(options.apply(template).call());
    }

    static RenderedChart renderProd() {
        return render(t -> t.withValuesFile(PROD_VALUES));
    }

    @Test
    void lintFindsNoProblemEvenInStrictMode() {
        LintResult result = new Helm(CHART).lint().strict().call();

        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void defaultValuesRenderEveryComponentButStandbysWhichNeedAShardList() {
        RenderedChart chart = render(t -> t);

        assertThat(chart.byComponent("Deployment").keySet()).containsExactlyInAnyOrder("router", "control-api",
                "capture", "archiver", "stream-processors", "iceberg-sink");
    }

    @Test
    void everyComponentIsADeploymentProbedOnReadyzAndHealthzAndScrapedByPrometheus() {
        RenderedChart chart = renderProd();

        assertThat(chart.byComponent("Deployment").keySet()).containsExactlyInAnyOrderElementsOf(COMPONENTS.keySet());
        for (JsonNode deployment : chart.ofKind("Deployment")) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode container = RenderedChart.container(deployment);
            int port = container.path("ports").path(0).path("containerPort").asInt();
            assertThat(container.path("ports").path(0).path("name").asText()).as(name).isEqualTo("http");
            assertThat(container.at("/readinessProbe/httpGet/path").asText()).as(name).isEqualTo("/readyz");
            assertThat(container.at("/readinessProbe/httpGet/port").asText()).as(name).isEqualTo("http");
            assertThat(container.at("/livenessProbe/httpGet/path").asText()).as(name).isEqualTo("/healthz");
            assertThat(container.at("/startupProbe/httpGet/path").asText()).as(name).isEqualTo("/healthz");
            JsonNode annotations = deployment.at("/spec/template/metadata/annotations");
            assertThat(annotations.path("prometheus.io/scrape").asText()).as(name).isEqualTo("true");
            assertThat(annotations.path("prometheus.io/path").asText()).as(name).isEqualTo("/metrics");
            assertThat(annotations.path("prometheus.io/port").asText()).as(name).isEqualTo(Integer.toString(port));
            assertThat(container.path("image").asText()).as(name)
                    .isEqualTo("123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleetshard:0.1.0");
            assertThat(container.path("resources").path("requests").path("memory").isMissingNode()).as(name)
                    .isFalse();
            assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
        }
        assertThat(RenderedChart.container(chart.get("Deployment", "fs-fleetshard-router"))
                .at("/ports/0/containerPort").asInt()).isEqualTo(8080);
        assertThat(RenderedChart.container(chart.get("Deployment", "fs-fleetshard-control-api"))
                .at("/ports/0/containerPort").asInt()).isEqualTo(8081);
        assertThat(RenderedChart.container(chart.get("Deployment", "fs-fleetshard-archiver"))
                .at("/ports/0/containerPort").asInt()).isEqualTo(9090);
    }

    @Test
    void everyComponentHasAPodDisruptionBudgetSelectingExactlyItsPods() {
        RenderedChart chart = renderProd();

        Map<String, JsonNode> budgets = chart.byComponent("PodDisruptionBudget");
        assertThat(budgets.keySet()).containsExactlyInAnyOrderElementsOf(COMPONENTS.keySet());
        for (JsonNode deployment : chart.ofKind("Deployment")) {
            String component = deployment.at("/metadata/labels/app.kubernetes.io~1component").asText();
            JsonNode pdb = budgets.get(component);
            assertThat(pdb.at("/spec/selector/matchLabels")).as(component)
                    .isEqualTo(deployment.at("/spec/selector/matchLabels"));
            assertThat(pdb.path("apiVersion").asText()).isEqualTo("policy/v1");
        }
        assertThat(budgets.get("router").at("/spec/minAvailable").asInt()).isEqualTo(2);
        // one live control API (a second fences the first): a budget of minAvailable 1 would block every node drain
        assertThat(budgets.get("control-api").at("/spec/maxUnavailable").asInt()).isEqualTo(1);
    }

    @Test
    void streamWorkersScaleWithKedaOnTheirConsumerGroupsLagAndCaptureOnItsSourceLag() {
        RenderedChart chart = renderProd();

        Map<String, JsonNode> scaled = chart.byComponent("ScaledObject");
        // the Iceberg sink is one instance: it reads every partition itself, a second one would only race it
        assertThat(scaled.keySet()).containsExactlyInAnyOrder("capture", "archiver", "stream-processors");
        Map<String, String> groups = Map.of("archiver", "fleetshard-archiver",
                "stream-processors", "fleetshard-hotfleets");
        groups.forEach((component, group) -> {
            JsonNode so = scaled.get(component);
            assertThat(so.path("apiVersion").asText()).isEqualTo("keda.sh/v1alpha1");
            assertThat(so.at("/spec/scaleTargetRef/name").asText()).isEqualTo(COMPONENTS.get(component));
            JsonNode trigger = so.at("/spec/triggers/0");
            assertThat(trigger.path("type").asText()).as(component).isEqualTo("kafka");
            assertThat(trigger.at("/metadata/consumerGroup").asText()).as(component).isEqualTo(group);
            assertThat(trigger.at("/metadata/bootstrapServers").asText()).as(component)
                    .startsWith("b-1.fleetshard-prod.kafka.eu-west-1.amazonaws.com:9092");
            assertThat(trigger.at("/metadata/lagThreshold").asText()).as(component).matches("\\d+");
            assertThat(trigger.at("/metadata/allowIdleConsumers").asText()).isEqualTo("false");
        });
        JsonNode capture = scaled.get("capture").at("/spec/triggers/0");
        assertThat(capture.path("type").asText()).isEqualTo("prometheus");
        assertThat(capture.at("/metadata/query").asText()).isEqualTo("sum(fleetshard_cdc_source_lag_bytes)");
        assertThat(scaled.get("capture").at("/spec/minReplicaCount").asInt()).isEqualTo(2);
        assertThat(scaled.get("capture").at("/spec/maxReplicaCount").asInt()).isLessThanOrEqualTo(64);

        // KEDA owns the replica count of what it scales; the others keep theirs
        for (String component : scaled.keySet()) {
            assertThat(chart.get("Deployment", COMPONENTS.get(component)).at("/spec/replicas").isMissingNode())
                    .as(component).isTrue();
        }
        assertThat(chart.get("Deployment", "fs-fleetshard-router").at("/spec/replicas").asInt()).isEqualTo(3);
    }

    @Test
    void standbyAppliersAreOneUnscaledSingleReplicaDeploymentPerShard() {
        RenderedChart chart = renderProd();

        JsonNode pg = chart.get("Deployment", "fs-fleetshard-standby-applier-pg-1");
        assertThat(pg.at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(pg.at("/spec/strategy/type").asText()).isEqualTo("Recreate");
        assertThat(chart.find("ScaledObject", "fs-fleetshard-standby-applier-pg-1")).isEmpty();

        Properties platform = RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-standby-applier-maria-1"),
                "platform.properties");
        assertThat(platform).containsEntry("standby.shard", "maria-1")
                .containsEntry("standby.jdbc.url", "jdbc:mariadb://maria-1-dr.fleetshard.internal:3306/fleet")
                .containsEntry("archive.tier", "enhanced")
                .containsEntry("archive.bucket", "fleetshard-prod-archive-eu-west-1");
        assertThat(secretEnv(RenderedChart.container(chart.get("Deployment", "fs-fleetshard-standby-applier-maria-1"))))
                .containsEntry("FLEETSHARD_DB_PASSWORD", "fleetshard-standby-db/maria-1");
    }

    @Test
    void configMapsCarryTheComponentsOwnKeysAndTheApisListenBeyondLoopback() {
        RenderedChart chart = renderProd();

        Properties router = RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-router"),
                "component.properties");
        // router.host and control.http.host default to 127.0.0.1: unreachable from a Service
        assertThat(router).containsEntry("router.host", "0.0.0.0").containsEntry("router.port", "8080")
                .containsEntry("router.region", "eu-west-1");
        Properties control = RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-control-api"),
                "component.properties");
        assertThat(control).containsEntry("control.http.host", "0.0.0.0").containsEntry("control.http.port", "8081");
        Properties archiver = RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-archiver"),
                "component.properties");
        assertThat(archiver).containsEntry("archive.bucket", "fleetshard-prod-archive-eu-west-1")
                .containsEntry("s3.region", "eu-west-1").containsEntry("group.id", "fleetshard-archiver")
                .containsKey("kafka.bootstrap.servers");
        Properties mapOfControl = RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-control-api"),
                "platform.properties");
        assertThat(mapOfControl).containsEntry("shardmap.mirror.table", "fleetshard-prod-shardmap")
                .containsEntry("shardmap.topic", "fleetshard.shardmap");

        // instance ids unique in their consumer groups: the pod's name
        assertThat(args(chart, "fs-fleetshard-capture")).containsSubsequence("--set", "worker.id=$(POD_NAME)");
        assertThat(args(chart, "fs-fleetshard-archiver")).containsSubsequence("--set", "archiver.id=$(POD_NAME)");
        assertThat(args(chart, "fs-fleetshard-router")).startsWith("run", "router", "--config",
                "/etc/fleetshard/component.properties");

        assertThat(chart.get("Service", "fs-fleetshard-router").at("/spec/ports/0/port").asInt()).isEqualTo(8080);
        assertThat(chart.get("Service", "fs-fleetshard-control-api").at("/spec/ports/0/port").asInt())
                .isEqualTo(8081);
        assertThat(chart.names("Service")).hasSize(2);
        assertThat(chart.get("ServiceAccount", "fs-fleetshard-archiver")
                .at("/metadata/annotations/eks.amazonaws.com~1role-arn").asText())
                .isEqualTo("arn:aws:iam::123456789012:role/fleetshard-prod-eu-west-1-archiver");
    }

    @Test
    void secretsAreReferencesToKubernetesSecretsNeverValues() {
        RenderedChart chart = renderProd();

        assertThat(secretEnv(RenderedChart.container(chart.get("Deployment", "fs-fleetshard-router"))))
                .containsEntry("FLEETSHARD_ROUTER_TENANT_SECRET", "fleetshard-tenant/secret")
                .containsEntry("FLEETSHARD_ROUTER_DB_PASSWORD", "fleetshard-router-db/password");
        assertThat(secretEnv(RenderedChart.container(chart.get("Deployment", "fs-fleetshard-capture"))))
                .containsEntry("FLEETSHARD_DB_PASSWORD", "fleetshard-cdc-db/password");
        for (JsonNode cm : chart.ofKind("ConfigMap")) {
            assertThat(cm.path("data").toString()).as(cm.at("/metadata/name").asText())
                    .doesNotContain("secret=", "password=");
        }
        assertThat(chart.ofKind("Secret")).isEmpty();
    }

    @Test
    void valuesOverridesTakeEffect() {
        RenderedChart chart = render(t -> t.withValuesFile(PROD_VALUES)
                .set("keda.enabled", "false")
                .set("router.replicas", "5")
                .set("router.config.router\\.pool\\.max\\.size", "16")
                .set("archiver.config.segment\\.max\\.bytes", "16777216")
                .set("capture.config.group\\.id", "fleetshard-cdc-blue")
                .set("icebergSink.enabled", "false")
                .set("metrics.scrape", "false")
                .set("image.tag", "0.2.0"));

        assertThat(chart.ofKind("ScaledObject")).isEmpty();
        assertThat(chart.get("Deployment", "fs-fleetshard-router").at("/spec/replicas").asInt()).isEqualTo(5);
        assertThat(chart.get("Deployment", "fs-fleetshard-archiver").at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-router"), "component.properties"))
                .containsEntry("router.pool.max.size", "16");
        assertThat(RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-archiver"), "component.properties"))
                .containsEntry("segment.max.bytes", "16777216");
        assertThat(RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-capture"), "component.properties"))
                .containsEntry("group.id", "fleetshard-cdc-blue");
        assertThat(chart.byComponent("Deployment")).doesNotContainKey("iceberg-sink");
        assertThat(chart.get("Deployment", "fs-fleetshard-router").at("/spec/template/metadata/annotations")
                .has("prometheus.io/scrape")).isFalse();
        assertThat(RenderedChart.container(chart.get("Deployment", "fs-fleetshard-router")).path("image").asText())
                .endsWith(":0.2.0");
    }

    @Test
    void aChangedConfigRollsThePods() {
        String before = renderProd().get("Deployment", "fs-fleetshard-archiver")
                .at("/spec/template/metadata/annotations/checksum~1config").asText();
        String after = render(t -> t.withValuesFile(PROD_VALUES).set("archiver.config.segment\\.max\\.age\\.ms", "500"))
                .get("Deployment", "fs-fleetshard-archiver")
                .at("/spec/template/metadata/annotations/checksum~1config").asText();

        assertThat(after).isNotBlank().isNotEqualTo(before);
    }

    @Test
    void aSecondRegionRunsStandbysAndRoutersButNoSecondMapWriter() {
        RenderedChart chart = render(t -> t.withValuesFile(INFRA.resolve("src/test/resources/values-us-east-1.yaml")));

        assertThat(chart.byComponent("Deployment")).doesNotContainKey("control-api")
                .containsKeys("router", "standby-applier-pg-1");
        assertThat(chart.all()).noneMatch(o -> o.at("/metadata/name").asText().contains("control-api"));
        assertThat(RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-router"), "component.properties"))
                .containsEntry("router.region", "us-east-1");
        assertThat(RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-standby-applier-pg-1"),
                "platform.properties")).containsEntry("archive.bucket", "fleetshard-prod-archive-us-east-1")
                .containsEntry("s3.region", "us-east-1");
    }

    @Test
    void valuesOfTheWrongShapeAreRefusedByTheSchemaNamingTheValue() {
        assertThatThrownBy(() -> render(t -> t.set("archive.tier", "gold")))
                .hasMessageContaining("/archive/tier");
        assertThatThrownBy(() -> render(t -> t.set("archiver.autoscaling.trigger.type", "cpu")))
                .hasMessageContaining("/archiver/autoscaling/trigger/type");
        assertThatThrownBy(() -> render(t -> t.set("standbyApplier.shards[0].shard", "pg-1")
                .set("standbyApplier.shards[0].jdbcUrl", "postgres://pg-1")))
                .hasMessageContaining("/standbyApplier/shards/0/jdbcUrl");
    }

    @Test
    void aStandbyWithoutAJdbcUrlFailsTheRenderNamingIt() {
        assertThatThrownBy(() -> render(t -> t.set("standbyApplier.shards[0].shard", "pg-9")))
                .hasMessageContaining("standbyApplier.shards[pg-9].jdbcUrl is required");
    }

    /**
     * The contract with the launcher: every Deployment's args, ConfigMap files and secret variables are accepted by
     * {@code fleetshard run <component> --check} (the components' config classes parse them, the platform keys are
     * known, what a component needs is there). Secrets get stand-in values: only their presence is the chart's job.
     */
    @Test
    void everyDeploymentsFilesPassTheLaunchersCheck(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertEveryDeploymentPassesTheLaunchersCheck(renderProd(), dir);
    }

    /**
     * TLS to Kafka (ADR 0027): {@code kafka.securityProtocol}, {@code kafka.properties} and {@code kafka.secretEnv}
     * reach every component's platform file and environment, and the launcher accepts them (the trust store must
     * exist: the check opens nothing but looks for the file).
     */
    @Test
    void kafkaTlsSettingsReachEveryComponentAndPassTheLaunchersCheck(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        java.nio.file.Path truststore = java.nio.file.Files.writeString(dir.resolve("truststore.p12"), "stand-in");
        RenderedChart chart = render(t -> t.withValuesFile(PROD_VALUES)
                .set("kafka.bootstrapServers", "b-1.msk:9094")
                .set("kafka.securityProtocol", "SSL")
                .set("kafka.properties.kafka\\.ssl\\.truststore\\.location", truststore.toString())
                .set("kafka.secretEnv.kafka\\.ssl\\.truststore\\.password.secretName", "fleetshard-kafka-tls")
                .set("kafka.secretEnv.kafka\\.ssl\\.truststore\\.password.key", "truststore-password"));

        for (String component : List.of("router", "control-api", "capture", "archiver", "stream-processors",
                "iceberg-sink")) {
            assertThat(RenderedChart.properties(chart.get("ConfigMap", COMPONENTS.get(component)),
                    "platform.properties")).as(component).containsEntry("kafka.security.protocol", "SSL")
                    .containsEntry("kafka.ssl.truststore.location", truststore.toString());
            assertThat(secretEnv(RenderedChart.container(chart.get("Deployment", COMPONENTS.get(component)))))
                    .as(component)
                    .containsEntry("FLEETSHARD_KAFKA_SSL_TRUSTSTORE_PASSWORD", "fleetshard-kafka-tls/truststore-password");
        }
        assertThat(RenderedChart.properties(chart.get("ConfigMap", "fs-fleetshard-router"), "platform.properties"))
                .doesNotContainKey("kafka.ssl.truststore.password");
        assertEveryDeploymentPassesTheLaunchersCheck(chart, dir);
        assertThat(RenderedChart.properties(renderProd().get("ConfigMap", "fs-fleetshard-router"),
                "platform.properties")).doesNotContainKey("kafka.security.protocol");
        assertThatThrownBy(() -> render(t -> t.set("kafka.securityProtocol", "TLS")))
                .hasMessageContaining("securityProtocol");
    }

    private static void assertEveryDeploymentPassesTheLaunchersCheck(RenderedChart chart, java.nio.file.Path dir)
            throws Exception {
        List<String> checked = new ArrayList<>();
        for (JsonNode deployment : chart.ofKind("Deployment")) {
            String name = deployment.at("/metadata/name").asText();
            JsonNode container = RenderedChart.container(deployment);
            List<String> args = new ArrayList<>();
            container.path("args").forEach(a -> args.add(a.asText().replace("$(POD_NAME)", name + "-0")));
            assertThat(args.subList(0, 2)).as(name).first().isEqualTo("run");
            JsonNode configMap = chart.get("ConfigMap", name);
            java.nio.file.Path config = dir.resolve(name + "-component.properties");
            java.nio.file.Path platform = dir.resolve(name + "-platform.properties");
            java.nio.file.Files.writeString(config, configMap.path("data").path("component.properties").asText());
            java.nio.file.Files.writeString(platform, configMap.path("data").path("platform.properties").asText());
            List<String> local = new ArrayList<>(args.subList(1, args.size()));
            local.set(local.indexOf("/etc/fleetshard/component.properties"), config.toString());
            local.set(local.indexOf("/etc/fleetshard/platform.properties"), platform.toString());
            Map<String, String> env = new java.util.HashMap<>();
            secretEnv(container).keySet().forEach(k -> env.put(k, "stand-in-secret-0123456789abcdef0123456789"));
            String verdict = io.fleetshard.launcher.FleetShardCommand.checkRun(local, env);
            assertThat(verdict).as(name).contains("configuration valid");
            checked.add(args.get(1));
        }
        assertThat(checked).contains("router", "control-api", "capture", "archiver", "standby-applier",
                "stream-processors", "iceberg-sink");
    }

    private static Map<String, String> secretEnv(JsonNode container) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (JsonNode env : container.path("env")) {
            JsonNode ref = env.at("/valueFrom/secretKeyRef");
            if (!ref.isMissingNode()) {
                out.put(env.path("name").asText(), ref.path("name").asText() + "/" + ref.path("key").asText());
            } else {
                assertThat(env.path("name").asText()).doesNotContain("PASSWORD", "SECRET");
            }
        }
        return out;
    }

    private static List<String> args(RenderedChart chart, String deployment) {
        List<String> out = new ArrayList<>();
        RenderedChart.container(chart.get("Deployment", deployment)).path("args").forEach(a -> out.add(a.asText()));
        return out;
    }
}
