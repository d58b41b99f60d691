variable "name" {
  description = "Role name prefix, e.g. fleetshard-prod-eu-west-1: roles are <name>-<component>."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The EKS cluster's OIDC provider (eks module)."
  type        = string
}

variable "oidc_issuer" {
  description = "The issuer without https:// (eks module)."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the Helm release."
  type        = string
  default     = "fleetshard"
}

variable "service_account_prefix" {
  description = "The chart's object prefix (<release>-fleetshard): service accounts are <prefix>-<component>."
  type        = string
  default     = "fleetshard"
}

variable "archive_bucket_arn" {
  description = "This region's archive bucket."
  type        = string
}

variable "archive_kms_key_arn" {
  type = string
}

variable "shardmap_table_arn" {
  description = "The map mirror's table (or replica) in this region."
  type        = string
}

variable "shardmap_kms_key_arn" {
  type = string
}

variable "msk_cluster_arn" {
  type = string
}

variable "iceberg_warehouse_bucket_arn" {
  description = "The Iceberg warehouse bucket of this region."
  type        = string
}

variable "glue_database" {
  description = "Glue database of the Iceberg tables."
  type        = string
  default     = "fleetshard"
}

variable "partition" {
  type    = string
  default = "aws"
}

variable "region" {
  type = string
}

variable "account_id" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}
