//! The Viceroy config (`viceroy serve -C`): the one place it is written.
//! The end-to-end tests and the soak render it through [`ViceroyConfig`];
//! `scripts/serve`, `scripts/bench` and `scripts/profile` through the
//! `viceroy-config` binary, which calls the same builder.
//!
//! It stays out of fastly.toml because the Fastly CLI rewrites that file
//! and drops what it does not know.

use std::fmt::Write;

/// The Config Store the service reads (fastly.toml `[setup]` names it too).
pub const CONFIG_STORE: &str = "dl_edge_config";
/// The Secret Store the service reads.
pub const SECRET_STORE: &str = "dl_edge_secrets";
/// The backend of the default origin (`origin_backend`).
pub const ORIGIN_BACKEND: &str = "gcs";

/// A Viceroy config under construction: the `gcs` backend, Config Store
/// items, and optionally more backends, secrets, geolocation and shielding
/// sites. [`ViceroyConfig::render`] gives the TOML.
#[derive(Debug, Clone)]
pub struct ViceroyConfig {
    backends: Vec<Backend>,
    config: Vec<(String, String)>,
    secrets: Vec<(String, String)>,
    geolocation: Vec<Geo>,
    shielding_sites: Vec<(String, Site)>,
}

#[derive(Debug, Clone)]
struct Backend {
    name: String,
    url: String,
    first_byte_timeout_ms: Option<u32>,
}

/// Where a shielding site is, as this POP sees it.
#[derive(Debug, Clone)]
pub enum Site {
    /// The site is this POP.
    Local,
    /// Another POP, reached at this URL (plain and "encrypted" alike).
    At(String),
}

/// A geolocation entry Viceroy answers for one client address.
#[derive(Debug, Clone)]
pub struct Geo {
    pub ip: String,
    pub continent: String,
    pub country_code: String,
    pub country_code3: String,
    pub region: String,
    pub city: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl ViceroyConfig {
    /// A config whose `gcs` backend is `origin_url` (e.g.
    /// `http://127.0.0.1:4443`), with an empty Config Store.
    pub fn new(origin_url: &str) -> ViceroyConfig {
        ViceroyConfig {
            backends: vec![Backend {
                name: ORIGIN_BACKEND.to_owned(),
                url: origin_url.to_owned(),
                first_byte_timeout_ms: None,
            }],
            config: Vec::new(),
            secrets: Vec::new(),
            geolocation: Vec::new(),
            shielding_sites: Vec::new(),
        }
    }

    /// [`ViceroyConfig::new`] with the origin on loopback at `port`.
    pub fn on_loopback(port: u16) -> ViceroyConfig {
        ViceroyConfig::new(&loopback(port))
    }

    /// The `gcs` backend gives up on a first byte after `ms`.
    pub fn origin_first_byte_timeout(mut self, ms: u32) -> ViceroyConfig {
        self.backends[0].first_byte_timeout_ms = Some(ms);
        self
    }

    /// One Config Store item.
    pub fn config(mut self, key: &str, value: &str) -> ViceroyConfig {
        self.config.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Config Store items from a JSON object of strings, e.g.
    /// `{"hosts": "dl.k8s.io"}`.
    ///
    /// # Panics
    ///
    /// When `json` is not such an object.
    pub fn config_json(mut self, json: &str) -> ViceroyConfig {
        let items: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
            .unwrap_or_else(|e| panic!("Config Store items are not a JSON object ({e}): {json}"));
        for (key, value) in items {
            let serde_json::Value::String(value) = value else {
                panic!("Config Store item {key:?} is not a string: {value}");
            };
            self.config.push((key, value));
        }
        self
    }

    /// Another backend.
    pub fn backend(mut self, name: &str, url: &str) -> ViceroyConfig {
        self.backends.push(Backend {
            name: name.to_owned(),
            url: url.to_owned(),
            first_byte_timeout_ms: None,
        });
        self
    }

    /// Another backend, giving up on a first byte after `ms`.
    pub fn backend_with_first_byte_timeout(
        mut self,
        name: &str,
        url: &str,
        ms: u32,
    ) -> ViceroyConfig {
        self.backends.push(Backend {
            name: name.to_owned(),
            url: url.to_owned(),
            first_byte_timeout_ms: Some(ms),
        });
        self
    }

    /// One Secret Store entry.
    pub fn secret(mut self, key: &str, value: &str) -> ViceroyConfig {
        self.secrets.push((key.to_owned(), value.to_owned()));
        self
    }

    /// One geolocation entry.
    pub fn geolocation(mut self, geo: Geo) -> ViceroyConfig {
        self.geolocation.push(geo);
        self
    }

    /// One shielding site.
    pub fn shielding_site(mut self, code: &str, site: Site) -> ViceroyConfig {
        self.shielding_sites.push((code.to_owned(), site));
        self
    }

    /// The TOML for `viceroy serve -C`.
    pub fn render(&self) -> String {
        let mut toml = String::from(
            "# Rendered by dl-edge-testkit (testkit/src/viceroy.rs); not to be edited.\n\
             manifest_version = 3\nname = \"dl-edge\"\nlanguage = \"rust\"\n",
        );
        for backend in &self.backends {
            let _ = write!(
                toml,
                "\n[local_server.backends.{}]\nurl = {}\n",
                key(&backend.name),
                string(&backend.url)
            );
            if let Some(ms) = backend.first_byte_timeout_ms {
                let _ = writeln!(toml, "first_byte_timeout_ms = {ms}");
            }
        }
        let _ = write!(
            toml,
            "\n[local_server.config_stores.{CONFIG_STORE}]\nformat = \"inline-toml\"\n\
             \n[local_server.config_stores.{CONFIG_STORE}.contents]\n"
        );
        for (name, value) in &self.config {
            let _ = writeln!(toml, "{} = {}", key(name), string(value));
        }
        if !self.secrets.is_empty() {
            let entries: Vec<String> = self
                .secrets
                .iter()
                .map(|(k, v)| format!("{{ key = {}, data = {} }}", string(k), string(v)))
                .collect();
            let _ = write!(
                toml,
                "\n[local_server.secret_stores]\n{SECRET_STORE} = [{}]\n",
                entries.join(", ")
            );
        }
        if !self.geolocation.is_empty() {
            toml.push_str("\n[local_server.geolocation]\nformat = \"inline-toml\"\n");
        }
        for geo in &self.geolocation {
            let _ = write!(
                toml,
                "\n[local_server.geolocation.addresses.{}]\nas_name = \"Example ISP\"\nas_number = 64500\narea_code = 0\n\
                 city = {}\nconn_speed = \"broadband\"\nconn_type = \"wired\"\ncontinent = {}\n\
                 country_code = {}\ncountry_code3 = {}\ncountry_name = {}\n\
                 latitude = {:?}\nlongitude = {:?}\nmetro_code = 0\npostal_code = \"0\"\nproxy_description = \"?\"\n\
                 proxy_type = \"?\"\nregion = {}\nutc_offset = 0\n",
                string(&geo.ip),
                string(&geo.city),
                string(&geo.continent),
                string(&geo.country_code),
                string(&geo.country_code3),
                string(&geo.country_code),
                geo.latitude,
                geo.longitude,
                string(&geo.region),
            );
        }
        if !self.shielding_sites.is_empty() {
            toml.push_str("\n[local_server.shielding_sites]\n");
        }
        for (code, site) in &self.shielding_sites {
            let value = match site {
                Site::Local => string("Local"),
                Site::At(url) => format!(
                    "{{ unencrypted = {}, encrypted = {} }}",
                    string(url),
                    string(url)
                ),
            };
            let _ = writeln!(toml, "{} = {value}", string(code));
        }
        toml
    }
}

/// `http://127.0.0.1:<port>`.
pub fn loopback(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// A TOML basic string.
fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_owned()
    } else {
        string(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_and_the_config_store_are_always_there() {
        let toml = ViceroyConfig::on_loopback(4443).render();
        assert!(toml.contains("[local_server.backends.gcs]\nurl = \"http://127.0.0.1:4443\"\n"));
        assert!(toml
            .contains("[local_server.config_stores.dl_edge_config]\nformat = \"inline-toml\"\n"));
        assert!(toml.contains("[local_server.config_stores.dl_edge_config.contents]\n"));
        assert!(!toml.contains("secret_stores"));
        assert!(!toml.contains("geolocation"));
        assert!(!toml.contains("shielding_sites"));
    }

    #[test]
    fn config_values_are_escaped_toml_strings() {
        let toml = ViceroyConfig::on_loopback(1)
            .config_json(r#"{"routes": "[{\"prefix\":\"/\",\"bucket\":\"b\\\\c\"}]"}"#)
            .config("hosts", "dl.k8s.io")
            .render();
        assert!(
            toml.contains(r#"routes = "[{\"prefix\":\"/\",\"bucket\":\"b\\\\c\"}]""#),
            "{toml}"
        );
        assert!(toml.contains("hosts = \"dl.k8s.io\"\n"), "{toml}");
    }

    #[test]
    fn extra_tables_render_as_viceroy_reads_them() {
        let toml = ViceroyConfig::on_loopback(1)
            .backend_with_first_byte_timeout("stalled", &loopback(2), 1000)
            .secret("shield_token", "t")
            .secret("debug_token", "d")
            .geolocation(Geo {
                ip: "127.0.0.2".into(),
                continent: "NA".into(),
                country_code: "US".into(),
                country_code3: "USA".into(),
                region: "VA".into(),
                city: "Ashburn".into(),
                latitude: 39.04,
                longitude: -77.49,
            })
            .shielding_site("iad-va-us", Site::Local)
            .shielding_site("frankfurt-de", Site::At(loopback(3)))
            .render();
        for part in [
            "[local_server.backends.stalled]\nurl = \"http://127.0.0.1:2\"\nfirst_byte_timeout_ms = 1000\n",
            "[local_server.secret_stores]\ndl_edge_secrets = [{ key = \"shield_token\", data = \"t\" }, { key = \"debug_token\", data = \"d\" }]\n",
            "[local_server.geolocation]\nformat = \"inline-toml\"\n",
            "[local_server.geolocation.addresses.\"127.0.0.2\"]\n",
            "latitude = 39.04\nlongitude = -77.49\n",
            "[local_server.shielding_sites]\n\"iad-va-us\" = \"Local\"\n\"frankfurt-de\" = { unencrypted = \"http://127.0.0.1:3\", encrypted = \"http://127.0.0.1:3\" }\n",
        ] {
            assert!(toml.contains(part), "{part:?} missing from\n{toml}");
        }
    }
}
