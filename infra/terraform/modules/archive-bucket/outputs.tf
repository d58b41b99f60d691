output "bucket_name" {
  value = aws_s3_bucket.archive.bucket
}

output "bucket_arn" {
  value = aws_s3_bucket.archive.arn
}

output "kms_key_arn" {
  value = var.kms_key_arn
}
