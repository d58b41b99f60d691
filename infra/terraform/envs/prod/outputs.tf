# What the Helm releases need (docs/deploy.md, step 4): one values file per region from these.

output "regions" {
  description = "Per region: the chart's kafka.bootstrapServers (plaintext; _tls with kafka.securityProtocol SSL, ADR 0027), archive.bucket and each component's roleArn."
  value = {
    for r in [module.primary, module.secondary] : r.region => {
      eks_cluster_name          = r.eks_cluster_name
      msk_bootstrap_brokers     = r.msk_bootstrap_brokers
      msk_bootstrap_brokers_tls = r.msk_bootstrap_brokers_tls
      archive_bucket            = r.archive_bucket
      warehouse_bucket          = r.warehouse_bucket
      component_role_arns       = r.component_role_arns
    }
  }
}

output "shardmap_table_name" {
  value = module.shardmap_table.table_name
}
