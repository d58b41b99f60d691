# One IAM role per FleetShard component, assumed only by that component's Kubernetes service account (IRSA), each
# allowed exactly what the component does and nothing else:
#
# | component         | AWS                                                     | Kafka (MSK IAM)                          |
# | ----------------- | ------------------------------------------------------- | ---------------------------------------- |
# | router            | read the map mirror                                     | read the map log                         |
# | control-api       | write the map mirror, read archive manifests            | map log writer, orchestrations, hot fleets |
# | capture           | -                                                       | change topics and shard logs, its txns   |
# | archiver          | put and read segments and manifests                     | read the shard logs                      |
# | standby-applier   | read the archive, put base snapshots                    | -                                        |
# | stream-processors | -                                                       | shard logs, change topics, hot fleets    |
# | iceberg-sink      | the Iceberg warehouse and its Glue database             | read the change topics                   |
#
# Nobody may delete or re-lock archive objects: no s3:DeleteObject*, s3:PutObjectRetention or
# s3:BypassGovernanceRetention is granted here. The Kafka statements take effect once the components connect
# through MSK's IAM listener (see the msk module); until then the security group is their boundary.

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60"
    }
  }
}

locals {
  components = toset([
    "router",
    "control-api",
    "capture",
    "archiver",
    "standby-applier",
    "stream-processors",
    "iceberg-sink",
  ])

  # arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID -> the same prefix for topics, groups and transactional ids
  msk_prefix   = split(":cluster/", var.msk_cluster_arn)[0]
  msk_cluster  = split(":cluster/", var.msk_cluster_arn)[1]
  msk_topic    = "${local.msk_prefix}:topic/${local.msk_cluster}"
  msk_group    = "${local.msk_prefix}:group/${local.msk_cluster}"
  msk_txn      = "${local.msk_prefix}:transactional-id/${local.msk_cluster}"
  archive_objs = "${var.archive_bucket_arn}/*"
}

data "aws_iam_policy_document" "assume" {
  for_each = local.components

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account_prefix}-${each.key}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "component" {
  for_each = local.components

  name                 = "${var.name}-${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.assume[each.key].json
  max_session_duration = 3600

  tags = merge(var.tags, { Component = each.key })
}

# --- router -----------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "router" {
  statement {
    sid       = "ReadMapMirror"
    actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
    resources = [var.shardmap_table_arn]
  }

  statement {
    sid       = "DecryptMapMirror"
    actions   = ["kms:Decrypt"]
    resources = [var.shardmap_kms_key_arn]
  }

  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect"]
    resources = [var.msk_cluster_arn]
  }

  statement {
    sid       = "ReadMapLog"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.msk_topic}/fleetshard.shardmap"]
  }

  statement {
    sid       = "OwnGroups"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = ["${local.msk_group}/fleetshard-router*"]
  }
}

# --- control API ------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "control_api" {
  statement {
    sid = "WriteMapMirror"
    # CreateTable only on this table's ARN: DynamoDbMapMirror.ensureTable tries to create it and takes
    # ResourceInUseException as "already there"; without the right it would get AccessDenied instead.
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Scan",
    ]
    resources = [var.shardmap_table_arn]
  }

  statement {
    sid       = "UseMapMirrorKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.shardmap_kms_key_arn]
  }

  statement {
    sid       = "ListArchiveManifests"
    actions   = ["s3:ListBucket"]
    resources = [var.archive_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["*/*/manifests/*"]
    }
  }

  statement {
    sid       = "ReadArchiveManifests"
    actions   = ["s3:GetObject"]
    resources = ["${local.archive_objs}/manifests/*"]
  }

  statement {
    sid       = "DecryptArchive"
    actions   = ["kms:Decrypt"]
    resources = [var.archive_kms_key_arn]
  }

  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
    resources = [var.msk_cluster_arn]
  }

  statement {
    sid = "MapLogAndOrchestrations"
    actions = [
      "kafka-cluster:CreateTopic",
      "kafka-cluster:DescribeTopic",
      "kafka-cluster:DescribeTopicDynamicConfiguration",
      "kafka-cluster:ReadData",
      "kafka-cluster:WriteData",
    ]
    resources = [
      "${local.msk_topic}/fleetshard.shardmap",
      "${local.msk_topic}/fleetshard.orchestrations",
    ]
  }

  statement {
    sid       = "ReadHotFleetsAndShardLogEnds"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.msk_topic}/fleetshard.hotfleets", "${local.msk_topic}/fleetshard.shardlog.*"]
  }

  statement {
    sid       = "MapWriterTransactions"
    actions   = ["kafka-cluster:DescribeTransactionalId", "kafka-cluster:AlterTransactionalId"]
    resources = ["${local.msk_txn}/fleetshard-shardmap-writer", "${local.msk_txn}/fleetshard-orchestrations*"]
  }

  statement {
    sid       = "OwnGroups"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup", "kafka-cluster:DeleteGroup"]
    resources = ["${local.msk_group}/fleetshard-control-api-*", "${local.msk_group}/fleetshard-reshard-*"]
  }
}

# --- change capture ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "capture" {
  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
    resources = [var.msk_cluster_arn]
  }

  statement {
    sid = "ChangeTopicsAndShardLogs"
    actions = [
      "kafka-cluster:CreateTopic",
      "kafka-cluster:DescribeTopic",
      # retention.ms of its topics: capture holds changes they would delete unread (ADR 0061)
      "kafka-cluster:DescribeTopicDynamicConfiguration",
      "kafka-cluster:ReadData",
      "kafka-cluster:WriteData",
    ]
    resources = ["${local.msk_topic}/fleetshard.cdc.*", "${local.msk_topic}/fleetshard.shardlog.*"]
  }

  statement {
    sid       = "ReadMapLog"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.msk_topic}/fleetshard.shardmap"]
  }

  statement {
    sid       = "ShardTransactions"
    actions   = ["kafka-cluster:DescribeTransactionalId", "kafka-cluster:AlterTransactionalId"]
    resources = ["${local.msk_txn}/fleetshard-cdc-*"]
  }

  statement {
    sid       = "CaptureGroup"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = ["${local.msk_group}/fleetshard-cdc*"]
  }
}

# --- archiver ---------------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "archiver" {
  statement {
    sid       = "ListArchive"
    actions   = ["s3:ListBucket"]
    resources = [var.archive_bucket_arn]
  }

  statement {
    sid       = "WriteOnceSegmentsAndManifests"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.archive_objs}/segments/*", "${local.archive_objs}/manifests/*"]
  }

  statement {
    sid       = "EncryptArchive"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.archive_kms_key_arn]
  }

  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect"]
    resources = [var.msk_cluster_arn]
  }

  statement {
    sid       = "ReadShardLogs"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.msk_topic}/fleetshard.shardlog.*"]
  }

  statement {
    sid       = "ArchiverGroup"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = ["${local.msk_group}/fleetshard-archiver"]
  }
}

# --- standby applier --------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "standby_applier" {
  statement {
    sid       = "ListArchive"
    actions   = ["s3:ListBucket"]
    resources = [var.archive_bucket_arn]
  }

  statement {
    sid       = "ReadArchive"
    actions   = ["s3:GetObject"]
    resources = ["${local.archive_objs}/segments/*", "${local.archive_objs}/manifests/*", "${local.archive_objs}/snapshots/*"]
  }

  statement {
    sid       = "WriteBaseSnapshots"
    actions   = ["s3:PutObject"]
    resources = ["${local.archive_objs}/snapshots/*"]
  }

  statement {
    sid       = "EncryptArchive"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.archive_kms_key_arn]
  }
}

# --- stream processors ------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "stream_processors" {
  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
    resources = [var.msk_cluster_arn]
  }

  statement {
    sid       = "ReadChangeTopicsAndShardLogs"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.msk_topic}/fleetshard.cdc.*", "${local.msk_topic}/fleetshard.shardlog.*"]
  }

  statement {
    sid       = "ReportHotFleets"
    actions   = ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
    resources = ["${local.msk_topic}/fleetshard.hotfleets"]
  }

  statement {
    sid = "StreamsInternalTopics"
    actions = [
      "kafka-cluster:AlterTopic",
      "kafka-cluster:CreateTopic",
      "kafka-cluster:DeleteTopic",
      "kafka-cluster:DescribeTopic",
      "kafka-cluster:DescribeTopicDynamicConfiguration",
      "kafka-cluster:ReadData",
      "kafka-cluster:WriteData",
    ]
    resources = ["${local.msk_topic}/fleetshard-hotfleets-*", "${local.msk_topic}/fleetshard-reshard-*"]
  }

  statement {
    sid       = "StreamsGroupsAndTransactions"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup", "kafka-cluster:DeleteGroup"]
    resources = ["${local.msk_group}/fleetshard-hotfleets", "${local.msk_group}/fleetshard-reshard-*"]
  }

  statement {
    sid       = "StreamsTransactionalIds"
    actions   = ["kafka-cluster:AlterTransactionalId", "kafka-cluster:DescribeTransactionalId"]
    resources = ["${local.msk_txn}/fleetshard-hotfleets-*", "${local.msk_txn}/fleetshard-reshard-*"]
  }
}

# --- Iceberg sink -----------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "iceberg_sink" {
  statement {
    sid       = "ListWarehouse"
    actions   = ["s3:ListBucket"]
    resources = [var.iceberg_warehouse_bucket_arn]
  }

  statement {
    sid       = "WriteWarehouse"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${var.iceberg_warehouse_bucket_arn}/*"]
  }

  statement {
    sid = "GlueCatalog"
    actions = [
      "glue:CreateTable",
      "glue:GetDatabase",
      "glue:GetTable",
      "glue:GetTables",
      "glue:UpdateTable",
    ]
    resources = [
      "arn:${var.partition}:glue:${var.region}:${var.account_id}:catalog",
      "arn:${var.partition}:glue:${var.region}:${var.account_id}:database/${var.glue_database}",
      "arn:${var.partition}:glue:${var.region}:${var.account_id}:table/${var.glue_database}/*",
    ]
  }

  statement {
    sid       = "KafkaConnect"
    actions   = ["kafka-cluster:Connect"]
    resources = [var.msk_cluster_arn]
  }

  statement {
    sid       = "ReadChangeTopics"
    actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
    resources = ["${local.msk_topic}/fleetshard.cdc.*"]
  }

  statement {
    sid       = "SinkGroup"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = ["${local.msk_group}/fleetshard-iceberg-sink"]
  }
}

locals {
  policies = {
    "router"            = data.aws_iam_policy_document.router.json
    "control-api"       = data.aws_iam_policy_document.control_api.json
    "capture"           = data.aws_iam_policy_document.capture.json
    "archiver"          = data.aws_iam_policy_document.archiver.json
    "standby-applier"   = data.aws_iam_policy_document.standby_applier.json
    "stream-processors" = data.aws_iam_policy_document.stream_processors.json
    "iceberg-sink"      = data.aws_iam_policy_document.iceberg_sink.json
  }
}

resource "aws_iam_role_policy" "component" {
  for_each = local.components

  name   = "fleetshard-${each.key}"
  role   = aws_iam_role.component[each.key].id
  policy = local.policies[each.key]
}
