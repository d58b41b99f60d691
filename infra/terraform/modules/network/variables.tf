variable "name" {
  description = "Name prefix of every resource, e.g. fleetshard-prod-eu-west-1."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's CIDR; regions must not overlap (peering, Transit Gateway)."
  type        = string
}

variable "az_count" {
  description = "Availability zones used: MSK puts one broker in each, EKS nodes spread over them."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6
    error_message = "az_count must be between 2 and 6."
  }
}

variable "flow_log_bucket_arn" {
  description = "S3 bucket ARN for rejected-traffic flow logs; null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
