output "role_arns" {
  description = "Role ARN per component: the chart's <component>.serviceAccount.roleArn."
  value       = { for component, role in aws_iam_role.component : component => role.arn }
}
