variable "name" {
  description = "Cluster name, e.g. fleetshard-prod-eu-west-1."
  type        = string
}

variable "kubernetes_version" {
  type    = string
  default = "1.31"
}

variable "subnet_ids" {
  description = "Private subnets, one per AZ."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "CIDRs that may reach the API endpoint from outside the VPC; empty: private endpoint only."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key encrypting Kubernetes secrets."
  type        = string
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

variable "tags" {
  type    = map(string)
  default = {}
}
