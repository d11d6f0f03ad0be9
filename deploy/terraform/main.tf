# dl-edge on Fastly Compute: the service, its backends, its Config and
# Secret Stores, its log endpoints and a TLS subscription, in the shape of
# the Kubernetes CDN's and the crates.io Compute function's Terraform.
# Names that the code opens (stores, backends, log endpoints) are checked
# against the code and fastly.toml by ops/tests/terraform.rs.

provider "fastly" {}

data "fastly_package_hash" "dl_edge" {
  filename = var.package_path
}

resource "fastly_configstore" "config" {
  name = "dl_edge_config"
}

resource "fastly_configstore_entries" "config" {
  store_id       = fastly_configstore.config.id
  entries        = jsondecode(file(var.config_entries_file))
  manage_entries = var.manage_config_entries
}

resource "fastly_secretstore" "secrets" {
  name = "dl_edge_secrets"
}

resource "fastly_service_compute" "dl_edge" {
  name = var.service_name

  dynamic "domain" {
    for_each = var.domains
    content {
      name = domain.value
    }
  }

  package {
    filename         = var.package_path
    source_code_hash = data.fastly_package_hash.dl_edge.hash
  }

  backend {
    name                  = "gcs"
    address               = "storage.googleapis.com"
    port                  = 443
    use_ssl               = true
    ssl_cert_hostname     = "storage.googleapis.com"
    ssl_sni_hostname      = "storage.googleapis.com"
    override_host         = "storage.googleapis.com"
    connect_timeout       = 1000
    first_byte_timeout    = 15000
    between_bytes_timeout = 10000
  }

  dynamic "backend" {
    for_each = var.bucket_backends
    content {
      name                  = backend.key
      address               = backend.value
      port                  = 443
      use_ssl               = true
      ssl_cert_hostname     = backend.value
      ssl_sni_hostname      = backend.value
      override_host         = backend.value
      connect_timeout       = 1000
      first_byte_timeout    = 15000
      between_bytes_timeout = 10000
    }
  }

  resource_link {
    name        = "dl_edge_config"
    resource_id = fastly_configstore.config.id
  }

  resource_link {
    name        = "dl_edge_secrets"
    resource_id = fastly_secretstore.secrets.id
  }

  # The request log: the default `log_endpoints` value names "splunk".
  logging_splunk {
    name  = "splunk"
    url   = var.splunk_url
    token = var.splunk_token
  }

  # The service log (`service_log_endpoint`): HEC envelopes by default, so
  # it goes to Splunk too.
  logging_splunk {
    name  = "dl_edge_service"
    url   = var.splunk_url
    token = var.splunk_service_token
  }

  force_destroy = false
}

resource "fastly_tls_subscription" "dl_edge" {
  domains               = var.domains
  certificate_authority = "certainly"
}
