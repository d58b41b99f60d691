variable "name" {
  description = "Cluster name, e.g. fleetshard-prod-eu-west-1."
  type        = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  description = "One private subnet per AZ; a broker group per subnet."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach the brokers (the EKS nodes')."
  type        = list(string)
}

variable "kafka_version" {
  description = "MSK Kafka version; clients are Kafka 4.1 (ADR 0001), which talk to 3.x brokers."
  type        = string
  default     = "3.9.x"
}

variable "instance_type" {
  type    = string
  default = "kafka.m7g.large"
}

variable "brokers_per_az" {
  type    = number
  default = 1
}

variable "volume_size_gb" {
  description = "EBS per broker. Shard logs must outlive the archive's and the delta sync's lag."
  type        = number
  default     = 1000
}

variable "log_retention_hours" {
  description = "Default topic retention; a shard log must keep records until the archiver stored them."
  type        = number
  default     = 168
}

variable "client_broker_encryption" {
  description = "TLS_PLAINTEXT (plaintext, TLS and IAM listeners) or TLS (TLS and IAM only: set the chart's kafka.securityProtocol to SSL first, ADR 0027)."
  type        = string
  default     = "TLS_PLAINTEXT"

  validation {
    condition     = contains(["TLS", "TLS_PLAINTEXT"], var.client_broker_encryption)
    error_message = "client_broker_encryption must be TLS or TLS_PLAINTEXT."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the brokers' storage."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key of the broker log group; null for CloudWatch's own encryption."
  type        = string
  default     = null
}

variable "tags" {
  type    = map(string)
  default = {}
}
