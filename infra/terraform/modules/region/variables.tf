variable "prefix" {
  description = "Name prefix of the environment, e.g. fleetshard-prod; resources are <prefix>-<region>[-...]."
  type        = string
}

variable "vpc_cidr" {
  type = string
}

variable "az_count" {
  type    = number
  default = 3
}

variable "kubernetes_version" {
  type    = string
  default = "1.31"
}

variable "eks_public_access_cidrs" {
  type    = list(string)
  default = []
}

variable "node_instance_types" {
  type    = list(string)
  default = ["m7i.xlarge"]
}

variable "node_min_size" {
  type    = number
  default = 3
}

variable "node_max_size" {
  type    = number
  default = 12
}

variable "msk_instance_type" {
  type    = string
  default = "kafka.m7g.large"
}

variable "msk_volume_size_gb" {
  type    = number
  default = 1000
}

variable "archive_object_lock_mode" {
  type    = string
  default = "COMPLIANCE"
}

variable "archive_retention_days" {
  type    = number
  default = 400
}

variable "shardmap_table_name" {
  description = "The map mirror's global table (same name in every region)."
  type        = string
}

variable "glue_database" {
  type    = string
  default = "fleetshard"
}

variable "namespace" {
  type    = string
  default = "fleetshard"
}

variable "service_account_prefix" {
  type    = string
  default = "fleetshard"
}

variable "tags" {
  type    = map(string)
  default = {}
}
