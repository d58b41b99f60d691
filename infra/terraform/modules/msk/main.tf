# The region's Kafka: MSK with one broker per AZ. Settings follow what FleetShard's topics need: transactions
# (exactly-once capture, the map log, Kafka Streams exactly_once_v2) with a replicated transaction log, no unclean
# leader election, min.insync.replicas 2 of 3. Components create their own topics, so auto-creation stays off.

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60"
    }
  }
}

resource "aws_security_group" "msk" {
  name        = "${var.name}-msk"
  description = "MSK brokers of ${var.name}: reachable from the EKS nodes only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-msk" })
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = {
    for pair in setproduct(var.client_security_group_ids, ["9092", "9094", "9098"]) :
    "${pair[0]}-${pair[1]}" => { group = pair[0], port = tonumber(pair[1]) }
  }

  security_group_id            = aws_security_group.msk.id
  referenced_security_group_id = each.value.group
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = "Kafka clients (9092 plaintext, 9094 TLS, 9098 IAM)"
}

resource "aws_msk_configuration" "this" {
  name           = var.name
  kafka_versions = [var.kafka_version]

  server_properties = <<-PROPERTIES
    auto.create.topics.enable=false
    default.replication.factor=3
    min.insync.replicas=2
    unclean.leader.election.enable=false
    transaction.state.log.replication.factor=3
    transaction.state.log.min.isr=2
    offsets.topic.replication.factor=3
    num.partitions=12
    log.retention.hours=${var.log_retention_hours}
  PROPERTIES
}

resource "aws_cloudwatch_log_group" "broker" {
  name              = "/fleetshard/${var.name}/msk"
  retention_in_days = 30
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = length(var.subnet_ids) * var.brokers_per_az

  broker_node_group_info {
    instance_type   = var.instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.msk.id]

    storage_info {
      ebs_storage_info {
        volume_size = var.volume_size_gb
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = var.kms_key_arn

    encryption_in_transit {
      # TLS_PLAINTEXT (default) keeps the plaintext listener (9092) inside the VPC, limited by the security group,
      # beside TLS (9094) and IAM (9098). Every component can use TLS (ADR 0027: the chart's kafka.securityProtocol
      # SSL with bootstrap_brokers_tls); "TLS" closes the plaintext listener once the release uses it.
      client_broker = var.client_broker_encryption
      in_cluster    = true
    }
  }

  client_authentication {
    unauthenticated = var.client_broker_encryption != "TLS"

    sasl {
      iam = true
    }
  }

  enhanced_monitoring = "PER_TOPIC_PER_PARTITION"

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.broker.name
      }
    }
  }

  tags = var.tags
}
