output "service_id" {
  description = "For `fastly compute publish --service-id` and FASTLY_SERVICE_ID."
  value       = fastly_service_compute.dl_edge.id
}

output "tls_challenges" {
  description = "DNS records that prove control of the domains for the TLS subscription."
  value       = fastly_tls_subscription.dl_edge.managed_dns_challenges
}
