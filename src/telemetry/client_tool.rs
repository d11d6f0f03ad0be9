//! Which tool a client is, from its User-Agent: the question "who downloads
//! this" is mostly "which automation downloads this".

/// User-Agent prefixes (case-insensitive) and the tool they name, most
/// specific first.
const PREFIXES: [(&str, &str); 14] = [
    ("curl/", "curl"),
    ("wget/", "wget"),
    ("kubeadm/", "kubeadm"),
    ("kubectl/", "kubectl"),
    ("kubelet/", "kubelet"),
    ("minikube", "minikube"),
    ("kind/", "kind"),
    ("actions/tool-cache", "github-actions"),
    ("actions/http-client", "github-actions"),
    ("go-http-client/", "go-http-client"),
    ("python-requests/", "python"),
    ("python-urllib/", "python"),
    ("homebrew/", "homebrew"),
    ("aria2/", "aria2"),
];

/// A coarse tool name for the log: `curl`, `wget`, `kubeadm`,
/// `go-http-client`, `github-actions`, `browser`, `powershell`, `other`, or
/// `none` when there is no User-Agent.
pub fn from_user_agent(user_agent: Option<&str>) -> &'static str {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "none";
    };
    let lower = ua.to_ascii_lowercase();
    if let Some((_, tool)) = PREFIXES
        .iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
    {
        return tool;
    }
    if lower.contains("powershell") {
        "powershell"
    } else if lower.starts_with("mozilla/") {
        "browser"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_user_agents() {
        let table = [
            (Some("curl/8.5.0"), "curl"),
            (Some("Wget/1.21.4"), "wget"),
            (Some("kubeadm/v1.31.0 (linux/amd64) kubernetes/9edcffc"), "kubeadm"),
            (Some("Go-http-client/2.0"), "go-http-client"),
            (Some("actions/tool-cache"), "github-actions"),
            (
                Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"),
                "browser",
            ),
            (
                Some("Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.2506"),
                "powershell",
            ),
            (Some("python-requests/2.31.0"), "python"),
            (Some("something/1.0"), "other"),
            (Some("  "), "none"),
            (None, "none"),
        ];
        for (ua, tool) in table {
            assert_eq!(from_user_agent(ua), tool, "{ua:?}");
        }
    }
}
