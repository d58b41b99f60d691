variable "table_name" {
  description = "The chart's shardMap.mirrorTable, the same name in every region."
  type        = string
}

variable "kms_key_arn" {
  description = "The home region's shardmap key."
  type        = string
}

variable "replicas" {
  description = "Replica per other region: region name => its shardmap key."
  type = map(object({
    kms_key_arn = string
  }))
  default = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}
