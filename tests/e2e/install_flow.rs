//! The Kubernetes install docs, followed with real clients.

use std::process::Command;

use crate::Ctx;

pub const CASES: &[crate::Case] = &[("install_docs_flow_verifies_the_checksum", install_docs_flow)];

/// `curl -L -s https://dl.k8s.io/release/stable.txt`, then that version's
/// kubectl and kubectl.sha256 (with wget), then `sha256sum --check`.
fn install_docs_flow(ctx: &Ctx) {
    let stable = ctx.curl("/release/stable.txt", &["-L"]);
    assert_eq!(stable.status, 200);
    let version = stable.text();
    assert!(
        version.starts_with("v1."),
        "stable.txt holds a version: {version:?}"
    );

    let dir = ctx.work.join("install-flow");
    std::fs::create_dir_all(&dir).expect("create download folder");
    for file in ["kubectl", "kubectl.sha256"] {
        let url = ctx
            .edge
            .url(&format!("/release/{version}/bin/linux/amd64/{file}"));
        // wget has no --resolve: it connects to loopback and sends the Host.
        let url = url.replace("dl.k8s.io", "127.0.0.1");
        let status = Command::new("wget")
            .args(["-q", "--header", "Host: dl.k8s.io", "-O"])
            .arg(dir.join(file))
            .arg(&url)
            .status()
            .expect("run wget");
        assert!(status.success(), "wget {url}");
    }
    let check = Command::new("sh")
        .arg("-c")
        .arg("echo \"$(cat kubectl.sha256)  kubectl\" | sha256sum --check")
        .current_dir(&dir)
        .output()
        .expect("run sha256sum");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "sha256sum --check: {said}");
    assert_eq!(said.trim(), "kubectl: OK");
}
