//! Prints the Viceroy config for the scripts, rendered by the same builder
//! the tests use:
//!
//! ```sh
//! viceroy-config --origin http://127.0.0.1:4443 [--config '{"hosts": "..."}'] > viceroy.toml
//! ```
//!
//! `--config` takes Config Store items as a JSON object of strings.

use dl_edge_testkit::viceroy::ViceroyConfig;

const USAGE: &str = "usage: viceroy-config --origin URL [--config JSON_OBJECT]";

fn main() {
    let mut origin = None;
    let mut config = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--origin" => &mut origin,
            "--config" => &mut config,
            _ => fail(&format!("unknown argument {flag:?}")),
        };
        *slot = Some(
            args.next()
                .unwrap_or_else(|| fail(&format!("{flag} needs a value"))),
        );
    }
    let origin = origin.unwrap_or_else(|| fail("--origin is required"));
    let mut viceroy = ViceroyConfig::new(&origin);
    if let Some(json) = config {
        viceroy = viceroy.config_json(&json);
    }
    print!("{}", viceroy.render());
}

fn fail(why: &str) -> ! {
    eprintln!("viceroy-config: {why}\n{USAGE}");
    std::process::exit(2);
}
