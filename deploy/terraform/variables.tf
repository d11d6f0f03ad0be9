variable "service_name" {
  description = "The Fastly service's name."
  type        = string
  default     = "dl-edge"
}

variable "package_path" {
  description = "The package `fastly compute pack` (or `scripts/test`) writes: pkg/dl-edge.tar.gz."
  type        = string
  default     = "../../pkg/dl-edge.tar.gz"
}

variable "domains" {
  description = "The download hostnames the service answers (they must also be in the `hosts` Config Store key)."
  type        = list(string)
  default     = ["dl.k8s.io", "cdn.dl.k8s.io", "dl.k8s.dev"]
}

variable "config_entries_file" {
  description = "The Config Store file `dl-edge-ops config check --manifest fastly.toml` lints (a flat JSON object of strings)."
  type        = string
  default     = "config-store.json"
}

variable "manage_config_entries" {
  description = "Whether Terraform owns the Config Store entries. Leave false: emergency `config-store-entry update`s and overrides made outside Terraform would otherwise be reverted by the next apply, silently. Set true only where every change goes through this file."
  type        = bool
  default     = false
}

variable "bucket_backends" {
  description = "Extra GCS backends by name (as the `bucket_backends` Config Store key names them), e.g. { gcs_eu = \"storage.googleapis.com\" }."
  type        = map(string)
  default     = {}
}

variable "splunk_url" {
  description = "The Splunk HEC event endpoint, https://<host>:8088/services/collector/event."
  type        = string
}

variable "splunk_token" {
  description = "The HEC token for request lines (sourcetype dl-edge:request)."
  type        = string
  sensitive   = true
}

variable "splunk_service_token" {
  description = "The HEC token for the service log (sourcetype dl-edge:service); may be the same token."
  type        = string
  sensitive   = true
}
