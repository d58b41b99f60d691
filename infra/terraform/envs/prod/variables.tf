variable "prefix" {
  description = "Name prefix of every resource of the environment."
  type        = string
  default     = "fleetshard-prod"
}

variable "primary_region" {
  type    = string
  default = "eu-west-1"
}

variable "secondary_region" {
  type    = string
  default = "us-east-1"
}

variable "primary_vpc_cidr" {
  type    = string
  default = "10.10.0.0/16"
}

variable "secondary_vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "eks_public_access_cidrs" {
  description = "Operator networks allowed to reach the EKS API endpoints; empty keeps them private."
  type        = list(string)
  default     = []
}

variable "archive_retention_days" {
  description = "Object Lock retention of the archive, in days."
  type        = number
  default     = 400
}

variable "shardmap_table_name" {
  type    = string
  default = "fleetshard-prod-shardmap"
}
