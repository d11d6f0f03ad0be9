//! dl-edge's operator tools, native, reusing the core.
//!
//! ```text
//! dl-edge-ops config check FILE [FASTLY_TOML]
//!                                   everything wrong with a Config Store file
//! dl-edge-ops report FILE...        tables of a file of log lines (- for stdin)
//! dl-edge-ops plan check FILE       validate a shield plan, print every problem
//! dl-edge-ops plan export FILE STORE_ID
//!                                   print the Config Store command for the plan
//! dl-edge-ops plan simulate PLAN TRAFFIC [STATIC_SHIELD]
//!                                   replay traffic: no shielding, one shield, the plan
//! dl-edge-ops traffic N [SEED]      synthetic traffic lines for simulate
//! ```

use std::io::Read;
use std::process::ExitCode;

use dl_edge::config::Config;
mod config_check;
mod json_keys;
mod plan_check;
mod planner;
mod report;

use dl_edge::shield::{self, Plan};
use report::Report;

const USAGE: &str = "usage:
  dl-edge-ops config check FILE [FASTLY_TOML]
                                    check a Config Store JSON file before uploading it
                                    (exit 1 on errors; FASTLY_TOML defaults to ./fastly.toml)
  dl-edge-ops report FILE...        tables of a file of log lines (- reads standard input)
  dl-edge-ops plan check FILE       validate a shield plan and print every problem
                                    (exit 1 on errors; warnings are shown only)
  dl-edge-ops plan export FILE STORE_ID
                                    print the command that sets the plan in that store
  dl-edge-ops plan simulate PLAN TRAFFIC [STATIC_SHIELD]
                                    replay JSONL traffic or log lines under no shielding,
                                    one static shield (default chi-il-us) and the plan
  dl-edge-ops traffic N [SEED]      print N synthetic traffic lines (JSONL)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["config", "check", file] => config_check(file, "fastly.toml"),
        ["config", "check", file, toml] => config_check(file, toml),
        ["report", files @ ..] if !files.is_empty() => report(files),
        ["plan", "check", file] => plan_check(file),
        ["plan", "export", file, store_id] => plan_export(file, store_id),
        ["plan", "simulate", plan, traffic] => plan_simulate(plan, traffic, "chi-il-us"),
        ["plan", "simulate", plan, traffic, shield] => plan_simulate(plan, traffic, shield),
        ["traffic", n] => traffic(n, "1"),
        ["traffic", n, seed] => traffic(n, seed),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn read(file: &str) -> Result<String, ExitCode> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map(|()| text).map_err(|e| {
        eprintln!("dl-edge-ops: {file}: {e}");
        ExitCode::from(1)
    })
}

fn report(files: &[&str]) -> ExitCode {
    let mut text = String::new();
    for file in files {
        match read(file) {
            Ok(t) => text.push_str(&t),
            Err(code) => return code,
        }
        text.push('\n');
    }
    print!("{}", Report::from_lines(text.lines()).render());
    ExitCode::SUCCESS
}

/// Checks a plan file and prints every finding; `Err` (exit 1) when the
/// plan has errors.
fn load_plan(file: &str) -> Result<(String, Plan), ExitCode> {
    let text = read(file)?;
    let (plan, findings) = match plan_check::check(&text) {
        Ok(checked) => checked,
        Err(finding) => {
            println!("{file}: error: {finding}");
            println!("{file}: not a plan; the service would use the built-in plan");
            return Err(ExitCode::from(1));
        }
    };
    for finding in &findings {
        let level = if finding.is_error() {
            "error"
        } else {
            "warning"
        };
        println!("{file}: {level}: {finding}");
    }
    let errors = findings.iter().filter(|f| f.is_error()).count();
    if errors > 0 {
        println!(
            "{file}: {errors} error(s), {} warning(s)",
            findings.len() - errors
        );
        return Err(ExitCode::from(1));
    }
    Ok((text, plan))
}

fn plan_check(file: &str) -> ExitCode {
    match load_plan(file) {
        Ok((_, plan)) => {
            println!(
                "{file}: valid: {} group(s) with candidates, {} rule(s), granularity {:?}",
                plan.groups.len(),
                plan.rules.len(),
                plan.granularity
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn plan_export(file: &str, store_id: &str) -> ExitCode {
    match load_plan(file) {
        Ok((text, _)) => {
            let command =
                plan_check::export_command(&text, store_id).expect("a checked plan is JSON");
            println!("{command}");
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn plan_simulate(plan_file: &str, traffic_file: &str, static_shield: &str) -> ExitCode {
    let plan = match load_plan(plan_file) {
        Ok((_, plan)) => plan,
        Err(code) => return code,
    };
    if !shield::is_shield(static_shield) {
        eprintln!("dl-edge-ops: {static_shield:?} is not a known shield POP code");
        return ExitCode::from(2);
    }
    let text = match read(traffic_file) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let traffic: Vec<planner::TrafficRequest> =
        text.lines().filter_map(planner::parse_line).collect();
    let simulation = planner::simulate(&traffic, &plan, static_shield, &Config::default());
    print!("{}", simulation.render());
    ExitCode::SUCCESS
}

fn traffic(n: &str, seed: &str) -> ExitCode {
    let (Ok(n), Ok(seed)) = (n.parse::<usize>(), seed.parse::<u64>()) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    for line in planner::synthetic_traffic(n, seed) {
        println!("{line}");
    }
    ExitCode::SUCCESS
}

fn config_check(file: &str, fastly_toml: &str) -> ExitCode {
    let (text, toml) = match (read(file), read(fastly_toml)) {
        (Ok(text), Ok(toml)) => (text, toml),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let problems = config_check::check(&text, &toml, now);
    for p in &problems {
        let level = if p.is_error() { "error" } else { "warning" };
        println!("{file}: {level}: {p}");
    }
    let errors = problems.iter().filter(|p| p.is_error()).count();
    println!(
        "{file}: {errors} error(s), {} warning(s)",
        problems.len() - errors
    );
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
