//! dl-edge's operator tools, native, reusing the core: `dl-edge-ops
//! --help` lists them. Exit codes: 0 clean, 1 problems found, 2 usage, 3
//! could not read input.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dl_edge::config::Config;
use dl_edge::shield::Plan;

mod config_check;
mod json_keys;
mod optimize;
mod plan_check;
mod pops;
mod profile;
mod report;
mod simulate;
mod traffic;

use report::Report;

/// Problems found in what was checked.
const PROBLEMS: u8 = 1;
/// An input could not be read.
const UNREADABLE: u8 = 3;

#[derive(Parser)]
#[command(
    name = "dl-edge-ops",
    version,
    about = "dl-edge's operator tools: config and plan checks, the shield planner, traffic, log reports",
    after_help = "Exit codes: 0 clean, 1 problems found, 2 usage, 3 could not read input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The Config Store file
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Shield plans: check, export, simulate, optimize
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// Tables of log files (gzip read directly, - for standard input);
    /// client requests count once, shield lines apart
    Report {
        /// Print the tables as one JSON object
        #[arg(long)]
        json: bool,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Traffic lines of a day (JSONL) from a profile, for plan simulate
    Traffic {
        /// How many requests
        requests: u64,
        /// The same seed gives the same traffic
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The profile (default: the bundled ops/profiles/dl-k8s-io.json)
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Everything wrong with a Config Store file before it is uploaded
    /// (exit 1 on errors)
    Check {
        /// A flat JSON object of string values
        file: String,
        /// Check bucket backends against this manifest's [setup.backends]
        #[arg(long, value_name = "FASTLY_TOML")]
        manifest: Option<PathBuf>,
        /// Print the findings as JSON
        #[arg(long)]
        json: bool,
    },
    /// The `snapshot` value for a Config Store file's keys: every key in
    /// one value, read by the service in one host call
    Export {
        /// A flat JSON object of string values, or a config-store-entry
        /// list
        file: String,
    },
}

#[derive(Subcommand)]
enum PlanCommand {
    /// Every problem of a shield plan (exit 1 on errors; warnings shown)
    Check {
        file: String,
        /// Print the findings as JSON
        #[arg(long)]
        json: bool,
    },
    /// The command that sets a checked plan in a Config Store
    Export { file: String, store_id: String },
    /// Replay traffic or log lines under no shielding, the static shield
    /// and each plan
    Simulate {
        /// Print the figures as one JSON object
        #[arg(long)]
        json: bool,
        /// Each cache holds at most this many bytes (least recently used
        /// go first)
        #[arg(long, value_name = "BYTES")]
        cache_bytes: Option<u64>,
        /// Where the origin is (default: GCS us-central1)
        #[arg(long, value_name = "LAT,LON", value_parser = lat_lon)]
        origin: Option<(f64, f64)>,
        /// Plan files, then the traffic file (- for standard input)
        #[arg(required = true, num_args = 1.., value_name = "PLAN... TRAFFIC")]
        files: Vec<String>,
    },
    /// Propose the plan with the fastest edge misses within an egress bound
    /// (the plan on stdout, its figures on stderr)
    Optimize {
        traffic: String,
        /// Origin bytes at most this many times the static shield's
        #[arg(long, default_value_t = 1.2)]
        max_origin_ratio: f64,
        /// Search on the first N requests
        #[arg(long, default_value_t = 200_000)]
        sample: usize,
    },
}

fn lat_lon(text: &str) -> Result<(f64, f64), String> {
    let parse = || {
        let (lat, lon) = text.split_once(',')?;
        Some((lat.trim().parse().ok()?, lon.trim().parse().ok()?))
    };
    parse().ok_or_else(|| format!("{text:?} is not LAT,LON"))
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Config {
            command:
                ConfigCommand::Check {
                    file,
                    manifest,
                    json,
                },
        } => config_check(&file, manifest.as_deref(), json),
        Command::Config {
            command: ConfigCommand::Export { file },
        } => config_export(&file),
        Command::Plan { command } => match command {
            PlanCommand::Check { file, json } => plan_check(&file, json),
            PlanCommand::Export { file, store_id } => plan_export(&file, &store_id),
            PlanCommand::Simulate {
                json,
                cache_bytes,
                origin,
                files,
            } => plan_simulate(&files, json, cache_bytes, origin),
            PlanCommand::Optimize {
                traffic,
                max_origin_ratio,
                sample,
            } => plan_optimize(&traffic, max_origin_ratio, sample),
        },
        Command::Report { json, files } => report(&files, json),
        Command::Traffic {
            requests,
            seed,
            profile,
        } => traffic(requests, seed, profile),
    }
}

/// Prints the snapshot of a Config Store file's keys.
fn config_export(file: &str) -> ExitCode {
    let text = match read(file) {
        Ok(text) => text,
        Err(code) => return code,
    };
    match config_check::export(&text) {
        Ok(snapshot) => {
            println!("{snapshot}");
            ExitCode::SUCCESS
        }
        Err(detail) => {
            eprintln!("dl-edge-ops: {file}: not a Config Store file: {detail}");
            ExitCode::from(PROBLEMS)
        }
    }
}

/// A whole input file (`-` is standard input), or exit 3.
fn read(file: &str) -> Result<String, ExitCode> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map(|()| text).map_err(|e| unreadable(file, &e))
}

fn unreadable(file: &str, e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("dl-edge-ops: {file}: {e}");
    ExitCode::from(UNREADABLE)
}

/// Streams each file, with a progress bar on a terminal only.
fn report(files: &[String], json: bool) -> ExitCode {
    let mut report = Report::default();
    for file in files {
        let (mut input, size) = match open_lines(file) {
            Ok(opened) => opened,
            Err(e) => return unreadable(file, &e),
        };
        let progress = progress_bar(size);
        let mut line = String::new();
        loop {
            line.clear();
            match input.read_line(&mut line) {
                Ok(0) => break,
                Ok(n) => {
                    progress.inc(n as u64);
                    report.add_line(&line);
                }
                // A line that is not UTF-8 is no record.
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => report.skipped += 1,
                Err(e) => {
                    progress.finish_and_clear();
                    return unreadable(file, &e);
                }
            }
        }
        progress.finish_and_clear();
    }
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.render());
    }
    ExitCode::SUCCESS
}

/// A file's lines, decompressed when it is gzip, and its size on disk
/// (for the progress bar; none for standard input).
fn open_lines(file: &str) -> std::io::Result<(Box<dyn std::io::BufRead>, Option<u64>)> {
    use std::io::BufRead;
    if file == "-" {
        return Ok((Box::new(std::io::stdin().lock()), None));
    }
    let size = std::fs::metadata(file)?.len();
    let mut raw = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    let gzip = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let input: Box<dyn BufRead> = if gzip {
        // Progress counts decompressed bytes against the compressed size:
        // only the bar's end is approximate.
        Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    Ok((input, Some(size).filter(|_| !gzip)))
}

/// A progress bar on standard error when it is a terminal; hidden
/// otherwise, so pipes and CI logs stay clean.
fn progress_bar(size: Option<u64>) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    match size {
        Some(size) => indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    }
}

/// Checks a plan file and reports every finding (as text unless `json`);
/// `Err` (exit 1, or 3 if unreadable) when the plan has errors.
fn load_plan(file: &str, json: bool) -> Result<(String, Plan), ExitCode> {
    let text = read(file)?;
    let (plan, findings) = match plan_check::check(&text) {
        Ok(checked) => checked,
        Err(finding) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"file": file, "valid": false, "findings": [
                        {"level": "error", "message": finding.to_string()}
                    ]})
                );
            } else {
                println!("{file}: error: {finding}");
                println!("{file}: not a plan; the service would use the built-in plan");
            }
            return Err(ExitCode::from(PROBLEMS));
        }
    };
    let level = |f: &plan_check::Finding| if f.is_error() { "error" } else { "warning" };
    let errors = findings.iter().filter(|f| f.is_error()).count();
    if json {
        let listed: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| serde_json::json!({"level": level(f), "message": f.to_string()}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"file": file, "valid": errors == 0, "findings": listed})
        );
    } else {
        for finding in &findings {
            println!("{file}: {}: {finding}", level(finding));
        }
    }
    if errors > 0 {
        if !json {
            println!(
                "{file}: {errors} error(s), {} warning(s)",
                findings.len() - errors
            );
        }
        return Err(ExitCode::from(PROBLEMS));
    }
    Ok((text, plan))
}

fn plan_check(file: &str, json: bool) -> ExitCode {
    match load_plan(file, json) {
        Ok((_, plan)) => {
            if !json {
                println!(
                    "{file}: valid: {} group(s) with candidates, {} rule(s), granularity {:?}",
                    plan.groups.len(),
                    plan.rules.len(),
                    plan.granularity
                );
            }
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn plan_export(file: &str, store_id: &str) -> ExitCode {
    match load_plan(file, false) {
        Ok((text, _)) => {
            let command =
                plan_check::export_command(&text, store_id).expect("a checked plan is JSON");
            println!("{command}");
            eprintln!(
                "dl-edge-ops: where the store has a snapshot key, write it again after this (dl-edge-ops config export): the service reads shield_plan from the snapshot"
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn plan_simulate(
    files: &[String],
    json: bool,
    capacity: Option<u64>,
    origin_at: Option<(f64, f64)>,
) -> ExitCode {
    let (traffic_file, plan_files) = files.split_last().expect("clap requires one file");
    let mut plans = Vec::new();
    for file in plan_files {
        match load_plan(file, false) {
            Ok((_, plan)) => plans.push((file.clone(), plan)),
            Err(code) => return code,
        }
    }
    let mut origin = simulate::GCS_US_CENTRAL1;
    if let Some(at) = origin_at {
        origin.at = at;
    }
    let mut replay = simulate::Replay::new(
        simulate::with_baselines(plans),
        pops::bundled(),
        Config::default(),
        origin,
        capacity,
    );
    let (input, _) = match open_lines(traffic_file) {
        Ok(opened) => opened,
        Err(e) => return unreadable(traffic_file, &e),
    };
    if let Err(e) = simulate::run(input, &mut replay) {
        return unreadable(traffic_file, &e);
    }
    if json {
        println!("{}", replay.to_json());
    } else {
        print!("{}", replay.render());
    }
    ExitCode::SUCCESS
}

fn plan_optimize(file: &str, ratio: f64, sample: usize) -> ExitCode {
    if ratio <= 0.0 || sample == 0 {
        eprintln!("dl-edge-ops: --max-origin-ratio and --sample must be above 0");
        return ExitCode::from(2);
    }
    let (input, _) = match open_lines(file) {
        Ok(opened) => opened,
        Err(e) => return unreadable(file, &e),
    };
    let mut requests = Vec::new();
    for line in std::io::BufRead::lines(input) {
        let line = match line {
            Ok(line) => line,
            Err(e) => return unreadable(file, &e),
        };
        if let traffic::Read::Request(r) = traffic::read_line(&line) {
            requests.push(r);
            if requests.len() >= sample {
                break;
            }
        }
    }
    let setup = optimize::Setup {
        pops: pops::bundled(),
        config: Config::default(),
        origin: simulate::GCS_US_CENTRAL1,
        capacity: None,
    };
    let found = optimize::optimize(&requests, &setup, ratio);
    let plan = found.plan.to_json();
    println!(
        "{}",
        serde_json::to_string_pretty(&plan).expect("a plan serializes")
    );
    let (optimized, _) = Plan::parse(&plan.to_string()).expect("the plan parses");
    let mut replay = simulate::Replay::new(
        simulate::with_baselines(vec![("optimized".to_owned(), optimized)]),
        setup.pops,
        setup.config,
        setup.origin,
        setup.capacity,
    );
    for r in &requests {
        replay.replay(r);
    }
    eprint!("{}", replay.render());
    eprintln!(
        "search: {} request(s), {} round(s): origin bytes {:.2} x static (at most {ratio}), mean edge-miss latency {:.2} x static",
        requests.len(),
        found.rounds,
        found.metrics.origin_bytes as f64 / found.static_metrics.origin_bytes.max(1) as f64,
        found.metrics.miss_latency_mean_ms() / found.static_metrics.miss_latency_mean_ms().max(1e-9),
    );
    ExitCode::SUCCESS
}

fn traffic(requests: u64, seed: u64, profile_file: Option<PathBuf>) -> ExitCode {
    let text = match &profile_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => return unreadable(&path.display().to_string(), &e),
        },
        None => profile::DEFAULT.to_owned(),
    };
    let profile = match profile::Profile::parse(&text) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("dl-edge-ops: the profile: {e}");
            return ExitCode::from(PROBLEMS);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match profile::generate(&profile, requests, seed, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => unreadable("standard output", &e),
    }
}

/// Without `--manifest`, backends are not checked, and the output says so.
fn config_check(file: &str, manifest: Option<&std::path::Path>, json: bool) -> ExitCode {
    let text = match read(file) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let toml = match manifest {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(toml) => Some(toml),
            Err(e) => return unreadable(&path.display().to_string(), &e),
        },
        None => None,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let problems = config_check::check(&text, toml.as_deref(), now);
    let level = |p: &config_check::Problem| if p.is_error() { "error" } else { "warning" };
    let errors = problems.iter().filter(|p| p.is_error()).count();
    if json {
        let listed: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| serde_json::json!({"level": level(p), "message": p.to_string()}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"file": file, "errors": errors, "backends_checked": manifest.is_some(), "problems": listed})
        );
    } else {
        for p in &problems {
            println!("{file}: {}: {p}", level(p));
        }
        if manifest.is_none() {
            println!("{file}: backends not checked (pass --manifest fastly.toml)");
        }
        println!(
            "{file}: {errors} error(s), {} warning(s)",
            problems.len() - errors
        );
    }
    if errors > 0 {
        ExitCode::from(PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::open_lines;
    use std::io::Write;

    /// A gzip log is read as its lines, whatever its name.
    #[test]
    fn gzip_logs_are_read_directly() {
        let dir = std::env::temp_dir().join(format!("dl-edge-ops-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("day.log");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"one\ntwo\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let (input, size) = open_lines(path.to_str().unwrap()).unwrap();
        let lines: Vec<String> = std::io::BufRead::lines(input).map(Result::unwrap).collect();
        assert_eq!(lines, ["one", "two"]);
        assert_eq!(size, None, "no byte total for a compressed file");
        std::fs::write(&path, "plain\n").unwrap();
        let (input, size) = open_lines(path.to_str().unwrap()).unwrap();
        assert_eq!(std::io::BufRead::lines(input).count(), 1);
        assert_eq!(size, Some(6));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
