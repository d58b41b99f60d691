variable "bucket_name" {
  description = "Globally unique bucket name, e.g. fleetshard-prod-archive-eu-west-1 (the chart's archive.bucket)."
  type        = string
}

variable "kms_key_arn" {
  description = "The region's archive key: every object is encrypted with it."
  type        = string
}

variable "object_lock_mode" {
  description = "COMPLIANCE (no one can shorten or remove a lock) or GOVERNANCE (a privileged role can)."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.object_lock_mode)
    error_message = "object_lock_mode must be COMPLIANCE or GOVERNANCE."
  }
}

variable "retention_days" {
  description = "How long every object is locked: the history that must survive a mistake or an attacker."
  type        = number
  default     = 400

  validation {
    condition     = var.retention_days >= 1
    error_message = "retention_days must be at least 1."
  }
}

variable "tags" {
  type    = map(string)
  default = {}
}
