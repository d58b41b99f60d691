output "region" {
  value = local.region
}

output "vpc_id" {
  value = module.network.vpc_id
}

output "eks_cluster_name" {
  value = module.eks.cluster_name
}

output "msk_cluster_arn" {
  value = module.msk.cluster_arn
}

output "msk_bootstrap_brokers" {
  value = module.msk.bootstrap_brokers
}

output "msk_bootstrap_brokers_tls" {
  value = module.msk.bootstrap_brokers_tls
}

output "archive_bucket" {
  value = module.archive.bucket_name
}

output "archive_bucket_arn" {
  value = module.archive.bucket_arn
}

output "warehouse_bucket" {
  value = aws_s3_bucket.warehouse.bucket
}

output "kms_key_arns" {
  value = module.kms.key_arns
}

output "component_role_arns" {
  value = module.iam.role_arns
}
