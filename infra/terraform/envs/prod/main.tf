# Production: two regions, each a full FleetShard region (modules/region), joined by
#  - archive replication in both directions (each region's bucket holds every region's archive), and
#  - the shard map mirror as a DynamoDB global table, home in the primary region, a replica in the secondary.

locals {
  tags = {
    Project     = "fleetshard"
    Environment = "prod"
    ManagedBy   = "terraform"
  }
}

module "primary" {
  source = "../../modules/region"
  providers = {
    aws = aws.primary
  }

  prefix                  = var.prefix
  vpc_cidr                = var.primary_vpc_cidr
  eks_public_access_cidrs = var.eks_public_access_cidrs
  archive_retention_days  = var.archive_retention_days
  shardmap_table_name     = var.shardmap_table_name
  tags                    = local.tags
}

module "secondary" {
  source = "../../modules/region"
  providers = {
    aws = aws.secondary
  }

  prefix                  = var.prefix
  vpc_cidr                = var.secondary_vpc_cidr
  eks_public_access_cidrs = var.eks_public_access_cidrs
  archive_retention_days  = var.archive_retention_days
  shardmap_table_name     = var.shardmap_table_name
  tags                    = local.tags
}

module "archive_primary_to_secondary" {
  source = "../../modules/archive-replication"
  providers = {
    aws = aws.primary
  }

  name                    = "${var.prefix}-${var.primary_region}"
  source_bucket_name      = module.primary.archive_bucket
  source_bucket_arn       = module.primary.archive_bucket_arn
  source_kms_key_arn      = module.primary.kms_key_arns["archive"]
  destination_bucket_arn  = module.secondary.archive_bucket_arn
  destination_kms_key_arn = module.secondary.kms_key_arns["archive"]
  destination_region      = var.secondary_region
  tags                    = local.tags
}

module "archive_secondary_to_primary" {
  source = "../../modules/archive-replication"
  providers = {
    aws = aws.secondary
  }

  name                    = "${var.prefix}-${var.secondary_region}"
  source_bucket_name      = module.secondary.archive_bucket
  source_bucket_arn       = module.secondary.archive_bucket_arn
  source_kms_key_arn      = module.secondary.kms_key_arns["archive"]
  destination_bucket_arn  = module.primary.archive_bucket_arn
  destination_kms_key_arn = module.primary.kms_key_arns["archive"]
  destination_region      = var.primary_region
  tags                    = local.tags
}

module "shardmap_table" {
  source = "../../modules/shardmap-table"
  providers = {
    aws = aws.primary
  }

  table_name  = var.shardmap_table_name
  kms_key_arn = module.primary.kms_key_arns["shardmap"]
  replicas = {
    (var.secondary_region) = {
      kms_key_arn = module.secondary.kms_key_arns["shardmap"]
    }
  }
  tags = local.tags
}
