variable "name" {
  description = "Name prefix of the keys and their aliases."
  type        = string
}

variable "purposes" {
  description = "One key per purpose."
  type        = list(string)
  default     = ["archive", "shardmap", "msk", "eks"]
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion takes effect."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
