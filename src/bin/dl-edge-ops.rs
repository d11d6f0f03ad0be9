//! dl-edge's operator tools, native, reusing the core.
//!
//! ```text
//! dl-edge-ops report FILE...   tables of a day of log lines (- for stdin)
//! ```

use std::io::Read;
use std::process::ExitCode;

use dl_edge::report::Report;

const USAGE: &str = "usage: dl-edge-ops report FILE... (- reads standard input)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, files)) if command == "report" && !files.is_empty() => report(files),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn report(files: &[String]) -> ExitCode {
    let mut text = String::new();
    for file in files {
        let read = if file == "-" {
            std::io::stdin().read_to_string(&mut text).map(|_| ())
        } else {
            std::fs::read_to_string(file).map(|t| text.push_str(&t))
        };
        if let Err(e) = read {
            eprintln!("dl-edge-ops: {file}: {e}");
            return ExitCode::from(1);
        }
        text.push('\n');
    }
    print!("{}", Report::from_lines(text.lines()).render());
    ExitCode::SUCCESS
}
