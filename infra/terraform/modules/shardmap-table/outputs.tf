output "table_name" {
  value = aws_dynamodb_table.shardmap.name
}

output "table_arn" {
  description = "The home region's table; a replica's ARN differs only in its region."
  value       = aws_dynamodb_table.shardmap.arn
}

output "stream_arn" {
  value = aws_dynamodb_table.shardmap.stream_arn
}
