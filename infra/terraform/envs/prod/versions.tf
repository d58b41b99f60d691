terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
  }

  # State in S3 with locking; create the bucket once by hand (docs/deploy.md, step 1).
  backend "s3" {
    key          = "fleetshard/prod/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
