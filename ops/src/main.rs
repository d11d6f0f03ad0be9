//! dl-edge's operator tools, native, reusing the core.
//!
//! ```text
//! dl-edge-ops config check FILE [FASTLY_TOML]
//!                                   everything wrong with a Config Store file
//! dl-edge-ops report [--json] FILE...
//!                                   tables of log files (gzip read directly, - for stdin)
//! dl-edge-ops plan check FILE       validate a shield plan, print every problem
//! dl-edge-ops plan export FILE STORE_ID
//!                                   print the Config Store command for the plan
//! dl-edge-ops plan simulate [--json] [--cache-bytes N] [--origin LAT,LON] PLAN... TRAFFIC
//!                                   replay traffic: no shielding, the static shield, the plans
//! dl-edge-ops traffic N [SEED] [--profile FILE]
//!                                   synthetic traffic lines for simulate
//! ```

use std::io::{Read, Write};
use std::process::ExitCode;

use dl_edge::config::Config;
mod config_check;
mod json_keys;
mod optimize;
mod plan_check;
mod pops;
mod profile;
mod report;
mod simulate;
mod traffic;

use dl_edge::shield::Plan;
use report::Report;

const USAGE: &str = "usage:
  dl-edge-ops config check FILE [FASTLY_TOML]
                                    check a Config Store JSON file before uploading it
                                    (exit 1 on errors; FASTLY_TOML defaults to ./fastly.toml)
  dl-edge-ops report [--json] FILE...
                                    tables of files of log lines (gzip read directly;
                                    - reads standard input); client requests count once
  dl-edge-ops plan check FILE       validate a shield plan and print every problem
                                    (exit 1 on errors; warnings are shown only)
  dl-edge-ops plan export FILE STORE_ID
                                    print the command that sets the plan in that store
  dl-edge-ops plan simulate [--json] [--cache-bytes N] [--origin LAT,LON] PLAN... TRAFFIC
                                    replay traffic lines or the service's log lines
                                    (client lines) in time order under no shielding,
                                    the built-in static shield and each plan
  dl-edge-ops plan optimize [--max-origin-ratio R] [--sample N] TRAFFIC
                                    propose the plan with the fastest edge misses whose
                                    origin bytes stay within R (1.2) x the static shield's,
                                    searched on the first N (200000) requests
  dl-edge-ops traffic N [SEED] [--profile FILE]
                                    print N traffic lines of a day (JSONL) from a profile
                                    (default: ops/profiles/dl-k8s-io.json)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["config", "check", file] => config_check(file, "fastly.toml"),
        ["config", "check", file, toml] => config_check(file, toml),
        ["report", rest @ ..] => report(rest),
        ["plan", "check", file] => plan_check(file),
        ["plan", "export", file, store_id] => plan_export(file, store_id),
        ["plan", "simulate", rest @ ..] => plan_simulate(rest),
        ["plan", "optimize", rest @ ..] => plan_optimize(rest),
        ["traffic", rest @ ..] => traffic(rest),
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

/// `report [--json] FILE...`: streams each file (`-` is standard input;
/// gzip is read directly, by its magic bytes), with a progress bar on a
/// terminal only.
fn report(args: &[&str]) -> ExitCode {
    let json = args.contains(&"--json");
    let files: Vec<&str> = args.iter().copied().filter(|a| *a != "--json").collect();
    if files.is_empty() {
        return usage("report takes log files (- for standard input)");
    }
    let mut report = Report::default();
    for file in files {
        let (input, size) = match open_lines(file) {
            Ok(opened) => opened,
            Err(e) => {
                eprintln!("dl-edge-ops: {file}: {e}");
                return ExitCode::from(3);
            }
        };
        let progress = progress_bar(size);
        let mut input = input;
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
                    eprintln!("dl-edge-ops: {file}: {e}");
                    return ExitCode::from(3);
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

/// `plan simulate [--json] [--cache-bytes N] [--origin LAT,LON] PLAN... TRAFFIC`
fn plan_simulate(args: &[&str]) -> ExitCode {
    let mut json = false;
    let mut capacity = None;
    let mut origin = simulate::GCS_US_CENTRAL1;
    let mut files = Vec::new();
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        match arg {
            "--json" => json = true,
            "--cache-bytes" => match args.next().and_then(|v| v.parse::<u64>().ok()) {
                Some(bytes) => capacity = Some(bytes),
                None => return usage("--cache-bytes takes a number of bytes"),
            },
            "--origin" => {
                let at = args.next().and_then(|v| {
                    let (lat, lon) = v.split_once(',')?;
                    Some((lat.trim().parse().ok()?, lon.trim().parse().ok()?))
                });
                match at {
                    Some(at) => origin.at = at,
                    None => return usage("--origin takes LAT,LON"),
                }
            }
            file => files.push(file),
        }
    }
    let Some((traffic_file, plan_files)) = files.split_last() else {
        return usage("plan simulate takes plan files and a traffic file");
    };
    let mut plans = Vec::new();
    for file in plan_files {
        match load_plan(file) {
            Ok((_, plan)) => plans.push(((*file).to_owned(), plan)),
            Err(code) => return code,
        }
    }
    let mut replay = simulate::Replay::new(
        simulate::with_baselines(plans),
        pops::bundled(),
        Config::default(),
        origin,
        capacity,
    );
    let input: Box<dyn std::io::BufRead> = if *traffic_file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(traffic_file) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
            Err(e) => {
                eprintln!("dl-edge-ops: {traffic_file}: {e}");
                return ExitCode::from(3);
            }
        }
    };
    if let Err(e) = simulate::run(input, &mut replay) {
        eprintln!("dl-edge-ops: {traffic_file}: {e}");
        return ExitCode::from(3);
    }
    if json {
        println!("{}", replay.to_json());
    } else {
        print!("{}", replay.render());
    }
    ExitCode::SUCCESS
}

/// `plan optimize [--max-origin-ratio R] [--sample N] TRAFFIC`: the plan on
/// stdout, its figures beside both baselines on stderr.
fn plan_optimize(args: &[&str]) -> ExitCode {
    let mut ratio = 1.2;
    let mut sample = 200_000usize;
    let mut file = None;
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        match arg {
            "--max-origin-ratio" => match args.next().and_then(|v| v.parse::<f64>().ok()) {
                Some(r) if r > 0.0 => ratio = r,
                _ => return usage("--max-origin-ratio takes a positive number"),
            },
            "--sample" => match args.next().and_then(|v| v.parse::<usize>().ok()) {
                Some(n) if n > 0 => sample = n,
                _ => return usage("--sample takes a number of requests"),
            },
            f if file.is_none() => file = Some(f),
            other => return usage(&format!("unexpected {other:?}")),
        }
    }
    let Some(file) = file else {
        return usage("plan optimize takes a traffic file");
    };
    let input = match std::fs::File::open(file) {
        Ok(f) => std::io::BufReader::with_capacity(1 << 20, f),
        Err(e) => {
            eprintln!("dl-edge-ops: {file}: {e}");
            return ExitCode::from(3);
        }
    };
    let mut requests = Vec::new();
    for line in std::io::BufRead::lines(input) {
        let Ok(line) = line else {
            eprintln!("dl-edge-ops: {file}: unreadable");
            return ExitCode::from(3);
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

/// `traffic N [SEED] [--profile FILE]`
fn traffic(args: &[&str]) -> ExitCode {
    let mut profile_text = profile::DEFAULT.to_owned();
    let mut numbers = Vec::new();
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        match arg {
            "--profile" => match args.next().map(|f| read(f)) {
                Some(Ok(text)) => profile_text = text,
                Some(Err(code)) => return code,
                None => return usage("--profile takes a file"),
            },
            n => match n.parse::<u64>() {
                Ok(n) => numbers.push(n),
                Err(_) => return usage(&format!("{n:?} is not a number")),
            },
        }
    }
    let (n, seed) = match numbers[..] {
        [n] => (n, 1),
        [n, seed] => (n, seed),
        _ => return usage("traffic takes N and an optional SEED"),
    };
    let profile = match profile::Profile::parse(&profile_text) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("dl-edge-ops: the profile: {e}");
            return ExitCode::from(1);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match profile::generate(&profile, n, seed, &mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dl-edge-ops: {e}");
            ExitCode::from(3)
        }
    }
}

fn usage(why: &str) -> ExitCode {
    eprintln!("dl-edge-ops: {why}\n{USAGE}");
    ExitCode::from(2)
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
