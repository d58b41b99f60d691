# One provider per region. The primary region holds the map's writer (the control API) and the DynamoDB table's
# home; the secondary region runs the warm standbys. Add a region: docs/deploy.md, "A second (or third) region".

provider "aws" {
  alias  = "primary"
  region = var.primary_region

  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "secondary"
  region = var.secondary_region

  default_tags {
    tags = local.tags
  }
}
