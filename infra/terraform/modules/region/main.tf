# Everything FleetShard needs in one region: VPC, KMS keys, MSK, EKS, the archive bucket, the Iceberg warehouse
# and one IAM role per component. Cross-region pieces (archive replication, the map's global table) are wired by
# the environment's root module, which calls this once per region with that region's provider.

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60"
    }
  }
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region = data.aws_region.current.name
  name   = "${var.prefix}-${local.region}"
  tags   = merge(var.tags, { Region = local.region })
}

module "network" {
  source = "../network"

  name       = local.name
  cidr_block = var.vpc_cidr
  az_count   = var.az_count
  tags       = local.tags
}

module "kms" {
  source = "../kms"

  name = local.name
  tags = local.tags
}

module "eks" {
  source = "../eks"

  name                = local.name
  kubernetes_version  = var.kubernetes_version
  subnet_ids          = module.network.private_subnet_ids
  public_access_cidrs = var.eks_public_access_cidrs
  kms_key_arn         = module.kms.key_arns["eks"]
  node_instance_types = var.node_instance_types
  node_min_size       = var.node_min_size
  node_max_size       = var.node_max_size
  tags                = local.tags
}

module "msk" {
  source = "../msk"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = [module.eks.cluster_security_group_id]
  instance_type             = var.msk_instance_type
  volume_size_gb            = var.msk_volume_size_gb
  kms_key_arn               = module.kms.key_arns["msk"]
  tags                      = local.tags
}

module "archive" {
  source = "../archive-bucket"

  bucket_name      = "${var.prefix}-archive-${local.region}"
  kms_key_arn      = module.kms.key_arns["archive"]
  object_lock_mode = var.archive_object_lock_mode
  retention_days   = var.archive_retention_days
  tags             = local.tags
}

# The Iceberg sink's warehouse: analytics data, rebuilt from the change topics if lost, so no Object Lock.
resource "aws_s3_bucket" "warehouse" {
  bucket = "${var.prefix}-warehouse-${local.region}"
  tags   = merge(local.tags, { Purpose = "fleetshard-iceberg-warehouse" })
}

resource "aws_s3_bucket_public_access_block" "warehouse" {
  bucket = aws_s3_bucket.warehouse.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "warehouse" {
  bucket = aws_s3_bucket.warehouse.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.kms.key_arns["archive"]
    }
    bucket_key_enabled = true
  }
}

resource "aws_glue_catalog_database" "fleetshard" {
  name         = var.glue_database
  description  = "FleetShard's Iceberg tables (iceberg-sink)"
  location_uri = "s3://${aws_s3_bucket.warehouse.bucket}/"
}

module "iam" {
  source = "../component-iam"

  name                         = local.name
  oidc_provider_arn            = module.eks.oidc_provider_arn
  oidc_issuer                  = module.eks.oidc_issuer
  namespace                    = var.namespace
  service_account_prefix       = var.service_account_prefix
  archive_bucket_arn           = module.archive.bucket_arn
  archive_kms_key_arn          = module.kms.key_arns["archive"]
  shardmap_table_arn           = "arn:${data.aws_partition.current.partition}:dynamodb:${local.region}:${data.aws_caller_identity.current.account_id}:table/${var.shardmap_table_name}"
  shardmap_kms_key_arn         = module.kms.key_arns["shardmap"]
  msk_cluster_arn              = module.msk.cluster_arn
  iceberg_warehouse_bucket_arn = aws_s3_bucket.warehouse.arn
  glue_database                = aws_glue_catalog_database.fleetshard.name
  partition                    = data.aws_partition.current.partition
  region                       = local.region
  account_id                   = data.aws_caller_identity.current.account_id
  tags                         = local.tags
}
