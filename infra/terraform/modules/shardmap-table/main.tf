# The shard map's DynamoDB mirror (shard-map's DynamoDbMapMirror): one item per map entity, key `entityKey`,
# written only by the control API, conditionally on the entity's version. A global table with a replica in every
# other region, so routers and AWS tooling there read the map locally, and can bootstrap from it when Kafka is
# unreachable. Global tables resolve concurrent writes by last writer wins; there is one writer (ADR 0002).

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60"
    }
  }
}

resource "aws_dynamodb_table" "shardmap" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "entityKey"
  deletion_protection_enabled = true

  # Global tables replicate through the table's stream.
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "entityKey"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  dynamic "replica" {
    for_each = var.replicas

    content {
      region_name            = replica.key
      kms_key_arn            = replica.value.kms_key_arn
      point_in_time_recovery = true
      propagate_tags         = true
    }
  }

  tags = merge(var.tags, { Name = var.table_name })
}
