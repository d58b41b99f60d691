variable "name" {
  description = "Name prefix of the replication role, e.g. fleetshard-prod-eu-west-1."
  type        = string
}

variable "source_bucket_name" {
  type = string
}

variable "source_bucket_arn" {
  type = string
}

variable "source_kms_key_arn" {
  type = string
}

variable "destination_bucket_arn" {
  type = string
}

variable "destination_kms_key_arn" {
  type = string
}

variable "destination_region" {
  type = string
}

variable "tags" {
  type    = map(string)
  default = {}
}
