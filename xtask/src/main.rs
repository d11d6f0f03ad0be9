//! dl-edge's generators: the tables compiled into the service, from the
//! snapshots in `data/` (data/README.md says what each file is).
//!
//! ```text
//! cargo run -p xtask -- gen-cloud-ranges [DATA_DIR]
//!         src/locality/cloud_ranges.rs from DATA_DIR/{aws-ip-ranges,gcp-cloud}.json
//!         (DATA_DIR defaults to data/cloud-ranges)
//! cargo run -p xtask -- gen-pops [FILE]
//!         src/shield/pops.rs from FILE (default data/fastly-pops.json)
//! cargo run -p xtask -- gen
//!         both, from data/
//! ```
//!
//! The output is already in rustfmt's layout, so `cargo fmt --check` stays
//! clean without running rustfmt, and `cargo test -p xtask` can compare a
//! regeneration in memory with the committed files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod cloud_ranges;
mod layout;
mod pops;

const USAGE: &str = "usage:
  cargo run -p xtask -- gen-cloud-ranges [DATA_DIR]
                        regenerate src/locality/cloud_ranges.rs from
                        DATA_DIR/aws-ip-ranges.json and DATA_DIR/gcp-cloud.json
                        (DATA_DIR defaults to data/cloud-ranges)
  cargo run -p xtask -- gen-pops [FILE]
                        regenerate src/shield/pops.rs from FILE
                        (default data/fastly-pops.json)
  cargo run -p xtask -- gen
                        both, from data/";

/// The repository root: the generated files' paths are relative to it.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the repository root")
        .to_path_buf()
}

fn cloud_ranges_dir() -> PathBuf {
    root().join("data/cloud-ranges")
}

fn pops_file() -> PathBuf {
    root().join("data/fastly-pops.json")
}

const CLOUD_RANGES_OUT: &str = "src/locality/cloud_ranges.rs";
const POPS_OUT: &str = "src/shield/pops.rs";

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    serde_json::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(relative: &str, text: &str) -> Result<(), String> {
    let path = root().join(relative);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn gen_cloud_ranges(dir: &Path) -> Result<(), String> {
    let aws = read_json(&dir.join("aws-ip-ranges.json"))?;
    let gcp = read_json(&dir.join("gcp-cloud.json"))?;
    let generated = cloud_ranges::generate(&aws, &gcp)?;
    write(CLOUD_RANGES_OUT, &generated.source)?;
    println!(
        "gen-cloud-ranges: {} -> {CLOUD_RANGES_OUT}",
        generated.summary
    );
    Ok(())
}

fn gen_pops(file: &Path) -> Result<(), String> {
    let shields = pops::shields(&read_json(file)?)?;
    write(POPS_OUT, &pops::render(&shields))?;
    println!("gen-pops: {} shield POPs -> {POPS_OUT}", shields.len());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen-cloud-ranges"] => gen_cloud_ranges(&cloud_ranges_dir()),
        ["gen-cloud-ranges", dir] => gen_cloud_ranges(Path::new(dir)),
        ["gen-pops"] => gen_pops(&pops_file()),
        ["gen-pops", file] => gen_pops(Path::new(file)),
        ["gen"] => gen_cloud_ranges(&cloud_ranges_dir()).and_then(|()| gen_pops(&pops_file())),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The committed tables are what the data in `data/` gives: a refreshed
/// data file that was not regenerated, or a hand edit of a generated file,
/// fails here. Nothing skips: the data is in the repository.
#[cfg(test)]
mod committed {
    use super::*;

    fn assert_same(relative: &str, generated: &str) {
        let committed = read(&root().join(relative)).unwrap();
        if committed != generated {
            let line = committed
                .lines()
                .zip(generated.lines())
                .position(|(a, b)| a != b)
                .map_or_else(
                    || committed.lines().count().min(generated.lines().count()) + 1,
                    |i| i + 1,
                );
            panic!(
                "{relative} differs from what data/ gives, first at line {line}: \
                 rerun `cargo run -p xtask -- gen`"
            );
        }
    }

    #[test]
    fn cloud_ranges_rs_is_what_the_data_gives() {
        let dir = cloud_ranges_dir();
        let aws = read_json(&dir.join("aws-ip-ranges.json")).unwrap();
        let gcp = read_json(&dir.join("gcp-cloud.json")).unwrap();
        let generated = cloud_ranges::generate(&aws, &gcp).unwrap();
        assert_same(CLOUD_RANGES_OUT, &generated.source);
    }

    #[test]
    fn pops_rs_is_what_the_data_gives() {
        let shields = pops::shields(&read_json(&pops_file()).unwrap()).unwrap();
        assert_same(POPS_OUT, &pops::render(&shields));
    }
}
