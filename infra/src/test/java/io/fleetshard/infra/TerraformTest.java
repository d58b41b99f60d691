package io.fleetshard.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Terraform of {@code infra/terraform}: every file parsed with HashiCorp's HCL parser (the npm package
 * {@code @cdktf/hcl2json}, run by Node.js; no Terraform provider can be downloaded here, so {@code terraform
 * validate} cannot run) and the resources the multi-region design needs checked on the parsed configuration.
 */
class TerraformTest {
    static final Path TERRAFORM = HelmChartTest.INFRA.resolve("terraform");
    static final Set<String> COMPONENTS = Set.of("router", "control-api", "capture", "archiver", "standby-applier",
            "stream-processors", "iceberg-sink");

    static Map<String, TerraformModule> modules;

    @BeforeAll
    static void parseEveryFile() throws IOException, InterruptedException {
        assumeTrue(Hcl2Json.onPath("node") && Hcl2Json.onPath("npm"),
                "node and npm are not on the PATH: the Terraform is not parsed (install Node.js, e.g. apt-get "
                        + "install nodejs npm, to run these checks)");
        Hcl2Json parser = Hcl2Json.install(Path.of(System.getProperty("hcl2json.dir", "target/hcl2json")),
                System.getProperty("hcl2json.version", "0.21.0"));
        List<Path> files = tfFiles();
        Map<Path, JsonNode> parsed = parser.parse(files);
        Map<Path, List<JsonNode>> byDir = new TreeMap<>();
        parsed.forEach((file, json) -> byDir.computeIfAbsent(file.getParent(), d -> new ArrayList<>()).add(json));
        modules = new LinkedHashMap<>();
        byDir.forEach((dir, json) -> modules.put(TERRAFORM.relativize(dir).toString(), new TerraformModule(dir, json)));
    }

    static List<Path> tfFiles() throws IOException {
        try (Stream<Path> s = Files.walk(TERRAFORM)) {
            return s.filter(p -> p.toString().endsWith(".tf"))
                    .filter(p -> !p.toString().contains("/.terraform/")).sorted().toList();
        }
    }

    static TerraformModule module(String relativeDir) {
        TerraformModule m = modules.get(relativeDir);
        assertThat(m).as("module %s (parsed: %s)", relativeDir, modules.keySet()).isNotNull();
        return m;
    }

    @Test
    void everyFileParsesAndEveryModuleSourceExists() {
        assertThat(modules.keySet()).contains("envs/prod", "modules/region", "modules/network", "modules/msk",
                "modules/eks", "modules/archive-bucket", "modules/archive-replication", "modules/shardmap-table",
                "modules/kms", "modules/component-iam");
        modules.forEach((dir, m) -> m.modules().forEach((name, body) -> {
            Path source = m.dir().resolve(body.path("source").asText()).normalize();
            assertThat(source).as("%s: module %s's source", dir, name).isDirectory();
            assertThat(modules).as("%s: module %s's source has .tf files", dir, name)
                    .containsKey(TERRAFORM.relativize(source).toString());
        }));
    }

    @Test
    void filesKeepTerraformFmtStyle() throws IOException {
        for (Path f : tfFiles()) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String where = f + ":" + (i + 1);
                assertThat(line).as(where).doesNotContain("\t");
                assertThat(line).as(where + " trailing whitespace").doesNotEndWith(" ");
                int indent = line.length() - line.stripLeading().length();
                if (!line.isBlank() && !insideHeredoc(lines, i)) {
                    assertThat(indent % 2).as(where + " indentation of 2 spaces").isZero();
                }
            }
            assertThat(Files.readString(f)).as(f + " ends with one newline").endsWith("\n").doesNotEndWith("\n\n");
        }
    }

    @Test
    void terraformFmtFindsNothingToChange() throws IOException, InterruptedException {
        assumeTrue(Hcl2Json.onPath("terraform"), "no terraform binary here: fmt is checked by the style test only");
        Process p = new ProcessBuilder("terraform", "fmt", "-check", "-recursive", "-diff", TERRAFORM.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("terraform fmt -check -recursive -diff:\n%s", out).isZero();
    }

    @Test
    void theArchiveBucketIsObjectLockedVersionedKmsEncryptedAndPrivate() {
        TerraformModule m = module("modules/archive-bucket");

        assertThat(m.resource("aws_s3_bucket", "archive").path("object_lock_enabled").asBoolean()).isTrue();
        assertThat(m.resource("aws_s3_bucket", "archive").path("force_destroy").asBoolean()).isFalse();
        assertThat(m.resource("aws_s3_bucket_versioning", "archive").at("/versioning_configuration/0/status")
                .asText()).isEqualTo("Enabled");
        JsonNode retention = m.resource("aws_s3_bucket_object_lock_configuration", "archive")
                .at("/rule/0/default_retention/0");
        assertThat(retention.path("mode").asText()).isEqualTo("${var.object_lock_mode}");
        assertThat(m.variables().get("object_lock_mode").path("default").asText()).isEqualTo("COMPLIANCE");
        assertThat(retention.path("days").asText()).isEqualTo("${var.retention_days}");
        assertThat(m.resource("aws_s3_bucket_server_side_encryption_configuration", "archive")
                .at("/rule/0/apply_server_side_encryption_by_default/0/sse_algorithm").asText()).isEqualTo("aws:kms");
        JsonNode publicAccess = m.resource("aws_s3_bucket_public_access_block", "archive");
        for (String flag : List.of("block_public_acls", "block_public_policy", "ignore_public_acls",
                "restrict_public_buckets")) {
            assertThat(publicAccess.path(flag).asBoolean()).as(flag).isTrue();
        }
        assertThat(m.resources("aws_s3_bucket_policy")).containsKey("archive");
    }

    @Test
    void theArchiveReplicatesBothWaysBetweenTheTwoRegionsEncryptedWithTheDestinationsKey() {
        TerraformModule replication = module("modules/archive-replication");
        JsonNode rule = replication.resource("aws_s3_bucket_replication_configuration", "this").at("/rule/0");
        assertThat(rule.path("status").asText()).isEqualTo("Enabled");
        assertThat(rule.at("/destination/0/bucket").asText()).isEqualTo("${var.destination_bucket_arn}");
        assertThat(rule.at("/destination/0/encryption_configuration/0/replica_kms_key_id").asText())
                .isEqualTo("${var.destination_kms_key_arn}");
        assertThat(rule.at("/destination/0/replication_time/0/status").asText()).isEqualTo("Enabled");
        assertThat(rule.at("/source_selection_criteria/0/sse_kms_encrypted_objects/0/status").asText())
                .isEqualTo("Enabled");
        assertThat(actions(replication.data("aws_iam_policy_document").get("replication")))
                .contains("s3:ReplicateObject").noneMatch(a -> a.equals("s3:*") || a.startsWith("s3:Delete"));

        TerraformModule prod = module("envs/prod");
        Map<String, JsonNode> replications = prod.modules().entrySet().stream()
                .filter(e -> e.getValue().path("source").asText().endsWith("modules/archive-replication"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(replications).hasSize(2);
        JsonNode forth = replications.get("archive_primary_to_secondary");
        JsonNode back = replications.get("archive_secondary_to_primary");
        assertThat(forth.at("/providers/aws").asText()).isEqualTo("${aws.primary}");
        assertThat(forth.path("source_bucket_arn").asText()).isEqualTo("${module.primary.archive_bucket_arn}");
        assertThat(forth.path("destination_bucket_arn").asText()).isEqualTo("${module.secondary.archive_bucket_arn}");
        assertThat(back.at("/providers/aws").asText()).isEqualTo("${aws.secondary}");
        assertThat(back.path("source_bucket_arn").asText()).isEqualTo("${module.secondary.archive_bucket_arn}");
        assertThat(back.path("destination_bucket_arn").asText()).isEqualTo("${module.primary.archive_bucket_arn}");
    }

    @Test
    void theShardMapMirrorIsAGlobalTableWithAReplicaInTheSecondRegion() {
        TerraformModule table = module("modules/shardmap-table");
        JsonNode t = table.resource("aws_dynamodb_table", "shardmap");
        // shard-map's DynamoDbMapMirror: hash key entityKey (S)
        assertThat(t.path("hash_key").asText()).isEqualTo("entityKey");
        assertThat(t.at("/attribute/0/name").asText()).isEqualTo("entityKey");
        assertThat(t.at("/attribute/0/type").asText()).isEqualTo("S");
        assertThat(t.path("billing_mode").asText()).isEqualTo("PAY_PER_REQUEST");
        assertThat(t.path("stream_enabled").asBoolean()).isTrue();
        assertThat(t.path("stream_view_type").asText()).isEqualTo("NEW_AND_OLD_IMAGES");
        assertThat(t.at("/point_in_time_recovery/0/enabled").asBoolean()).isTrue();
        assertThat(t.at("/server_side_encryption/0/kms_key_arn").asText()).isEqualTo("${var.kms_key_arn}");
        JsonNode replica = t.at("/dynamic/replica/0");
        assertThat(replica.path("for_each").asText()).isEqualTo("${var.replicas}");
        assertThat(replica.at("/content/0/region_name").asText()).isEqualTo("${replica.key}");
        assertThat(replica.at("/content/0/kms_key_arn").asText()).isEqualTo("${replica.value.kms_key_arn}");

        JsonNode root = module("envs/prod").modules().get("shardmap_table");
        assertThat(root.at("/providers/aws").asText()).isEqualTo("${aws.primary}");
        assertThat(root.path("replicas").toString()).contains("var.secondary_region")
                .contains("module.secondary.kms_key_arns[\\\"shardmap\\\"]");
    }

    @Test
    void eachRegionGetsItsOwnVpcMskEksArchiveKeysAndRoles() {
        TerraformModule region = module("modules/region");
        Map<String, String> sources = region.modules().entrySet().stream().collect(Collectors.toMap(
                Map.Entry::getKey, e -> e.getValue().path("source").asText()));
        assertThat(sources).containsEntry("network", "../network").containsEntry("kms", "../kms")
                .containsEntry("msk", "../msk").containsEntry("eks", "../eks")
                .containsEntry("archive", "../archive-bucket").containsEntry("iam", "../component-iam");

        TerraformModule prod = module("envs/prod");
        assertThat(prod.providers("aws")).extracting(p -> p.path("alias").asText())
                .containsExactlyInAnyOrder("primary", "secondary");
        assertThat(prod.modules().get("primary").at("/providers/aws").asText()).isEqualTo("${aws.primary}");
        assertThat(prod.modules().get("secondary").at("/providers/aws").asText()).isEqualTo("${aws.secondary}");
        assertThat(prod.modules().get("primary").path("source").asText()).isEqualTo("../../modules/region");

        TerraformModule msk = module("modules/msk");
        String properties = msk.resource("aws_msk_configuration", "this").path("server_properties").asText();
        assertThat(properties).contains("min.insync.replicas=2", "unclean.leader.election.enable=false",
                "transaction.state.log.min.isr=2");
        assertThat(msk.resource("aws_msk_cluster", "this").at("/encryption_info/0/encryption_at_rest_kms_key_arn")
                .asText()).isEqualTo("${var.kms_key_arn}");
        TerraformModule eks = module("modules/eks");
        assertThat(eks.resource("aws_eks_cluster", "this").at("/encryption_config/0/resources/0").asText())
                .isEqualTo("secrets");
        assertThat(eks.resources("aws_iam_openid_connect_provider")).containsKey("this");
        TerraformModule network = module("modules/network");
        assertThat(network.resources("aws_vpc")).containsKey("this");
        assertThat(network.resources("aws_subnet")).containsKeys("public", "private");
    }

    @Test
    void kmsKeysRotateAndEncryptTheArchiveTheMapKafkaAndKubernetesSecrets() {
        TerraformModule kms = module("modules/kms");
        JsonNode key = kms.resource("aws_kms_key", "this");
        assertThat(key.path("enable_key_rotation").asBoolean()).isTrue();
        assertThat(kms.variables().get("purposes").path("default").toString())
                .contains("archive", "shardmap", "msk", "eks");
        assertThat(module("modules/region").modules().get("archive").path("kms_key_arn").asText())
                .isEqualTo("${module.kms.key_arns[\"archive\"]}");
    }

    @Test
    void everyComponentHasItsOwnRoleTrustedOnlyByItsServiceAccountAndGrantedOnlyWhatItUses() {
        TerraformModule iam = module("modules/component-iam");
        String components = iam.locals().get("components").asText();
        COMPONENTS.forEach(c -> assertThat(components).contains("\"" + c + "\""));

        JsonNode trust = iam.data("aws_iam_policy_document").get("assume").at("/statement/0");
        assertThat(trust.path("actions").toString()).contains("sts:AssumeRoleWithWebIdentity");
        assertThat(trust.path("condition").toString())
                .contains("system:serviceaccount:${var.namespace}:${var.service_account_prefix}-${each.key}");

        Map<String, JsonNode> policies = iam.data("aws_iam_policy_document");
        Map<String, List<String>> actionsOf = new TreeMap<>();
        for (String c : COMPONENTS) {
            JsonNode policy = policies.get(c.replace('-', '_'));
            assertThat(policy).as("policy document of %s", c).isNotNull();
            for (JsonNode statement : policy.path("statement")) {
                String sid = c + "/" + statement.path("sid").asText();
                assertThat(statement.path("effect").asText("Allow")).as(sid).isEqualTo("Allow");
                for (JsonNode resource : statement.path("resources")) {
                    assertThat(resource.asText()).as(sid + " resource").isNotEqualTo("*");
                }
                for (JsonNode action : statement.path("actions")) {
                    assertThat(action.asText()).as(sid + " action").doesNotContain("*");
                }
            }
            actionsOf.put(c, actions(policy));
        }
        actionsOf.forEach((c, actions) -> assertThat(actions).as(c).noneMatch(a -> a.startsWith("s3:Delete")
                || a.equals("s3:PutObjectRetention") || a.equals("s3:BypassGovernanceRetention")
                || a.startsWith("iam:") || a.startsWith("kms:Create") || a.startsWith("kms:Schedule")));

        assertThat(actionsOf.get("router")).contains("dynamodb:Scan", "kafka-cluster:ReadData")
                .noneMatch(a -> a.startsWith("s3:") || a.equals("dynamodb:PutItem") || a.endsWith("WriteData"));
        assertThat(actionsOf.get("control-api")).contains("dynamodb:PutItem", "kafka-cluster:WriteData",
                "kafka-cluster:AlterTransactionalId").doesNotContain("s3:PutObject");
        assertThat(actionsOf.get("capture")).contains("kafka-cluster:WriteData",
                "kafka-cluster:DescribeTopicDynamicConfiguration") // ADR 0061
                .noneMatch(a -> a.startsWith("s3:") || a.startsWith("dynamodb:"));
        assertThat(actionsOf.get("archiver")).contains("s3:PutObject", "kafka-cluster:ReadData")
                .noneMatch(a -> a.startsWith("dynamodb:") || a.equals("kafka-cluster:WriteData"));
        assertThat(actionsOf.get("standby-applier")).contains("s3:GetObject", "s3:PutObject")
                .noneMatch(a -> a.startsWith("kafka-cluster:") || a.startsWith("dynamodb:"));
        assertThat(actionsOf.get("stream-processors")).noneMatch(a -> a.startsWith("s3:") || a.startsWith("dynamodb:"));
        assertThat(actionsOf.get("iceberg-sink")).contains("glue:UpdateTable")
                .noneMatch(a -> a.startsWith("dynamodb:") || a.equals("kafka-cluster:WriteData"));

        // the archiver writes only segments and manifests, the standby applier only base snapshots
        assertThat(resourcesOf(policies.get("archiver"), "s3:PutObject"))
                .containsExactlyInAnyOrder("${local.archive_objs}/segments/*", "${local.archive_objs}/manifests/*");
        assertThat(resourcesOf(policies.get("standby_applier"), "s3:PutObject"))
                .containsExactly("${local.archive_objs}/snapshots/*");
    }

    @Test
    void theChartsServiceAccountsAreTheOnesTheRolesTrust() {
        TerraformModule iam = module("modules/component-iam");
        assertThat(iam.variables().get("service_account_prefix").path("default").asText()).isEqualTo("fleetshard");
        assertThat(iam.variables().get("namespace").path("default").asText()).isEqualTo("fleetshard");

        // release "fleetshard" (docs/deploy.md): objects are fleetshard-<component>
        RenderedChart chart = RenderedChart.parse(new com.marcnuri.helm.Helm(HelmChartTest.CHART).template()
                .withName("fleetshard").withNamespace("fleetshard").withKubeVersion(HelmChartTest.KUBE_VERSION).withValuesFile(HelmChartTest.PROD_VALUES).call());
        Set<String> expected = COMPONENTS.stream().map(c -> "fleetshard-" + c).collect(Collectors.toSet());
        assertThat(chart.names("ServiceAccount")).containsExactlyInAnyOrderElementsOf(expected);
        for (JsonNode deployment : chart.ofKind("Deployment")) {
            assertThat(deployment.at("/spec/template/spec/serviceAccountName").asText()).isIn(expected);
        }
    }

    private static List<String> actions(JsonNode policy) {
        List<String> out = new ArrayList<>();
        policy.path("statement").forEach(s -> s.path("actions").forEach(a -> out.add(a.asText())));
        return out;
    }

    private static List<String> resourcesOf(JsonNode policy, String action) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : policy.path("statement")) {
            boolean has = false;
            for (JsonNode a : s.path("actions")) {
                has |= a.asText().equals(action);
            }
            if (has) {
                s.path("resources").forEach(r -> out.add(r.asText()));
            }
        }
        return out;
    }

    private static boolean insideHeredoc(List<String> lines, int index) {
        boolean inside = false;
        for (int i = 0; i < index; i++) {
            String l = lines.get(i);
            if (!inside && l.matches(".*<<-?[A-Z]+\\s*$")) {
                inside = true;
            } else if (inside && l.strip().matches("[A-Z]+")) {
                inside = false;
            }
        }
        return inside;
    }
}
