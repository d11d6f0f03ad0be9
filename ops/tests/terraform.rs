//! The Terraform deployment (`deploy/terraform/`) against the code and
//! `fastly.toml`: the names the service opens at run time (its Config and
//! Secret Stores, its backend, its log endpoints) must be the names
//! Terraform creates and links. The Fastly provider cannot be downloaded
//! here, so this is what can be checked offline (with `terraform fmt` in
//! scripts/test); deploy/terraform/README.md says what was not.

use std::path::Path;

use dl_edge::config::KEYS;
use hcl::{Block, Body, Expression};

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn main_tf() -> Body {
    hcl::from_str(&read("deploy/terraform/main.tf")).expect("main.tf is HCL")
}

/// The blocks `resource "<kind>" "<name>" { … }` of a kind.
fn resources<'b>(body: &'b Body, kind: &str) -> Vec<&'b Block> {
    body.blocks()
        .filter(|b| b.identifier() == "resource")
        .filter(|b| b.labels().first().is_some_and(|l| l.as_str() == kind))
        .collect()
}

/// A string attribute of a block, as written.
fn text(block: &Block, name: &str) -> Option<String> {
    block
        .body()
        .attributes()
        .find(|a| a.key() == name)
        .and_then(|a| match a.expr() {
            Expression::String(s) => Some(s.clone()),
            _ => None,
        })
}

/// A `const NAME: &str = "value";` in a source file of the shell, which
/// only builds for Wasm and so cannot be imported here.
fn shell_const(path: &str, name: &str) -> String {
    let source = read(path);
    let line = source
        .lines()
        .find(|l| l.contains(&format!("const {name}: &str = ")))
        .unwrap_or_else(|| panic!("{path} declares {name}"));
    line.split('"')
        .nth(1)
        .expect("a string constant")
        .to_owned()
}

fn default_of(key: &str) -> &'static str {
    KEYS.iter()
        .find(|k| k.name == key)
        .expect("a declared key")
        .default
}

#[test]
fn stores_are_named_and_linked_as_the_code_opens_them() {
    let body = main_tf();
    let config_store = shell_const("src/shell/mod.rs", "CONFIG_STORE");
    let secret_store = shell_const("src/shell/secrets.rs", "STORE");
    let named = |kind: &str| -> Vec<String> {
        resources(&body, kind)
            .iter()
            .filter_map(|b| text(b, "name"))
            .collect()
    };
    assert_eq!(
        named("fastly_configstore"),
        std::slice::from_ref(&config_store)
    );
    assert_eq!(
        named("fastly_secretstore"),
        std::slice::from_ref(&secret_store)
    );
    let service = resources(&body, "fastly_service_compute");
    assert_eq!(service.len(), 1);
    let links: Vec<String> = service[0]
        .body()
        .blocks()
        .filter(|b| b.identifier() == "resource_link")
        .filter_map(|b| text(b, "name"))
        .collect();
    assert_eq!(links, [config_store, secret_store]);
    let entries = resources(&body, "fastly_configstore_entries");
    assert_eq!(entries.len(), 1, "entries come from the checked JSON file");
}

#[test]
fn the_backend_and_log_endpoints_are_the_ones_the_config_names() {
    let body = main_tf();
    let service = resources(&body, "fastly_service_compute")[0];
    let backends: Vec<String> = service
        .body()
        .blocks()
        .filter(|b| b.identifier() == "backend")
        .filter_map(|b| text(b, "name"))
        .collect();
    assert_eq!(backends, [default_of("origin_backend")]);
    let manifest: toml::Table = read("fastly.toml").parse().unwrap();
    let setup = manifest["setup"]["backends"]
        .as_table()
        .expect("setup backends");
    assert!(setup.contains_key(default_of("origin_backend")));
    let splunk: Vec<String> = service
        .body()
        .blocks()
        .filter(|b| b.identifier() == "logging_splunk")
        .filter_map(|b| text(b, "name"))
        .collect();
    let endpoints: Vec<serde_json::Value> =
        serde_json::from_str(default_of("log_endpoints")).unwrap();
    for endpoint in endpoints {
        let name = endpoint["name"].as_str().unwrap();
        assert!(splunk.iter().any(|s| s == name), "no logging_splunk {name}");
    }
    let service_log = default_of("service_log_endpoint");
    assert!(
        splunk.iter().any(|s| s == service_log),
        "the service log ({service_log}) has a sink that takes HEC lines"
    );
}
