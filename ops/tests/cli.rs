//! dl-edge-ops behaves like a Rust command-line tool: help on standard
//! output with exit 0, `--version`, errors that name the bad argument with
//! exit 2, exit 1 for problems found and 3 for input it cannot read.

use std::process::{Command, Output};

fn ops(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dl-edge-ops"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run dl-edge-ops")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_is_on_stdout_with_exit_0_for_every_subcommand() {
    for args in [
        &["--help"][..],
        &["config", "check", "--help"],
        &["config", "export", "--help"],
        &["plan", "--help"],
        &["plan", "simulate", "--help"],
        &["plan", "optimize", "--help"],
        &["report", "--help"],
        &["traffic", "--help"],
    ] {
        let out = ops(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("Usage:"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
    assert!(stdout(&ops(&["--help"])).contains("Exit codes"));
}

#[test]
fn version_prints_the_version() {
    let out = ops(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        format!("dl-edge-ops {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_name_the_bad_argument_with_exit_2() {
    for (args, named) in [
        (&["traffic", "10", "--sed", "3"][..], "--sed"),
        (&["traffic", "ten"], "ten"),
        (
            &["plan", "simulate", "--origin", "north", "x.json"],
            "north",
        ),
        (&["frobnicate"], "frobnicate"),
    ] {
        let out = ops(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(named), "{args:?}: {}", stderr(&out));
    }
    let out = ops(&["traffic", "3", "--seed", "7"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "--seed is an option: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).lines().count(), 3);
}

#[test]
fn problems_exit_1_and_unreadable_input_exits_3() {
    let dir = std::env::temp_dir().join(format!("dl-edge-ops-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_plan = dir.join("bad-plan.json");
    std::fs::write(&bad_plan, r#"{"rules":[{"name":"a","versions":"<1.28","shields":[]},{"name":"a","versions":">=1.30","shields":[]}]}"#).unwrap();
    let out = ops(&["plan", "check", "--json", bad_plan.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON findings");
    assert_eq!(findings["valid"], false);
    let out = ops(&["plan", "check", "docs/shield-plan.example.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = ops(&["plan", "check", "/nonexistent/plan.json"]);
    assert_eq!(out.status.code(), Some(3));
    let store = dir.join("store.json");
    std::fs::write(&store, r#"{"ttl_marker":"soon"}"#).unwrap();
    let out = ops(&[
        "config",
        "check",
        "--json",
        "--manifest",
        "fastly.toml",
        store.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON problems");
    assert_eq!(report["errors"], 1);
    assert_eq!(report["backends_checked"], true);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `config export` writes the snapshot of a store's keys; `config check`
/// passes a store whose snapshot is in step, and names every key a stale
/// one disagrees on.
#[test]
fn export_writes_a_snapshot_that_check_holds_to_the_keys() {
    let dir = std::env::temp_dir().join(format!("dl-edge-ops-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = r#"{"hosts":"dl.k8s.io","ttl_marker":"30"}"#;
    let file = dir.join("store.json");
    std::fs::write(&file, keys).unwrap();
    let out = ops(&["config", "export", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let snapshot = stdout(&out).trim().to_owned();
    assert_eq!(snapshot, keys);

    let store = |marker: &str| {
        serde_json::json!({"hosts": "dl.k8s.io", "ttl_marker": marker, "snapshot": snapshot})
            .to_string()
    };
    std::fs::write(&file, store("30")).unwrap();
    let out = ops(&["config", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    std::fs::write(&file, store("60")).unwrap();
    let out = ops(&["config", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("snapshot: out of step with ttl_marker"),
        "{}",
        stdout(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
