terraform {
  required_version = ">= 1.5"
  required_providers {
    fastly = {
      source  = "fastly/fastly"
      version = ">= 5.0"
    }
  }
}
