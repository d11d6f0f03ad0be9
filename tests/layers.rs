//! The core's layers, checked from the source: every `use crate::…` (and
//! every `crate::…` or `super::…` path) in `src/` points to the same or a
//! lower layer, and no module imports one that imports it back.
//!
//! The layers are the `mod` declarations of `src/lib.rs`, bottom first, so
//! the order a reader sees there is the order this test enforces. The
//! Compute shell (`src/main.rs`, `src/shell/`) is a crate of its own: it
//! has no layers, but it must be free of import circles too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its module path (`config::keys`) and its text.
struct Source {
    module: String,
    text: String,
}

/// A module path from a file under a crate root: `config/mod.rs` is
/// `config`, `config/keys.rs` is `config::keys`, the root file is ``.
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().expect("a file name");
    let stem = file.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts.join("::")
}

fn read_tree(root: &Path, skip: &dyn Fn(&Path) -> bool) -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a readable src/") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(root).expect("under the root");
            (!skip(relative)).then(|| Source {
                module: module_of(relative),
                text: std::fs::read_to_string(&path).expect("a readable source file"),
            })
        })
        .collect()
}

/// The text with comments and string literals blanked out, so that a doc
/// comment mentioning `crate::x` is no import.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                    }
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path a piece of code names from `start` (`crate`, `super`, or a
/// child module's name), with `{…}` groups expanded: `crate::a::{b, c::d}`
/// gives `a::b` and `a::c::d`.
fn paths_after(code: &str, start: &str) -> Vec<String> {
    let mut found = Vec::new();
    let pattern = format!("{start}::");
    let mut from = 0;
    while let Some(at) = code[from..].find(&pattern) {
        let begin = from + at;
        from = begin + pattern.len();
        let before = code[..begin].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        expand(&code[from..], String::new(), &mut found);
    }
    found
}

/// Reads one path (or brace group) from the start of `rest`.
fn expand(rest: &str, prefix: String, found: &mut Vec<String>) {
    if let Some(group) = rest.strip_prefix('{') {
        for item in split_group(group) {
            expand(item.trim_start(), prefix.clone(), found);
        }
        return;
    }
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let after = &rest[name.len()..];
    let joined = if prefix.is_empty() {
        name.clone()
    } else if name.is_empty() {
        prefix.clone()
    } else {
        format!("{prefix}::{name}")
    };
    if let Some(tail) = after.strip_prefix("::") {
        expand(tail, joined, found);
    } else if !joined.is_empty() {
        found.push(joined);
    }
}

/// The top-level items of a `{…}` group, up to its closing brace.
fn split_group(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The child modules a file declares (`mod x;`, `pub mod x;`).
fn children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("pub ").unwrap_or(line);
            let name = rest.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_owned())
        })
        .collect()
}

/// The module a path lands in: its longest prefix that is a module.
fn resolve(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| modules.contains(m))
}

fn parent(module: &str) -> String {
    module.rsplit_once("::").map_or("", |(p, _)| p).to_owned()
}

/// Module → the modules it imports, for one crate's files.
fn import_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let mut graph = BTreeMap::new();
    for source in sources {
        let code = code_only(&source.text);
        // An inline `mod tests { use super::*; }` names its own file.
        let (outer, inline_tests) = match code.find("#[cfg(test)]\nmod tests {") {
            Some(i) => (&code[..i], &code[i..]),
            None => (code.as_str(), ""),
        };
        let join = |base: &str, rest: &str| {
            if base.is_empty() {
                rest.to_owned()
            } else {
                format!("{base}::{rest}")
            }
        };
        let mut named: Vec<String> = paths_after(&code, "crate");
        named.extend(
            paths_after(outer, "super")
                .iter()
                .map(|p| join(&parent(&source.module), p)),
        );
        named.extend(
            paths_after(inline_tests, "super")
                .iter()
                .map(|p| join(&source.module, p)),
        );
        for child in children(outer) {
            named.extend(
                paths_after(outer, &child)
                    .iter()
                    .map(|p| join(&source.module, &join(&child, p))),
            );
        }
        let edges: BTreeSet<String> = named
            .iter()
            .filter_map(|p| resolve(p, &modules))
            .filter(|m| *m != source.module && !m.is_empty())
            .collect();
        graph.insert(source.module.clone(), edges);
    }
    graph
}

/// Every import circle: the strongly connected groups of two or more
/// modules (Tarjan's algorithm).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, node: &'g str) {
        let n = s.index.len();
        s.index.insert(node, n);
        s.low.insert(node, n);
        s.stack.push(node);
        s.on_stack.insert(node);
        for next in s.graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !s.index.contains_key(next) {
                visit(s, next);
                let low = s.low[node].min(s.low[next]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(next) {
                let low = s.low[node].min(s.index[next]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut group = Vec::new();
            while let Some(top) = s.stack.pop() {
                s.on_stack.remove(top);
                group.push(top.to_owned());
                if top == node {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

/// Imports that point to a higher layer: `(importer, imported)`.
fn upward(graph: &BTreeMap<String, BTreeSet<String>>, layers: &[String]) -> Vec<String> {
    let layer = |module: &str| {
        let top = module.split("::").next().unwrap_or(module);
        layers.iter().position(|l| l == top)
    };
    let mut found = Vec::new();
    for (from, imports) in graph {
        for to in imports {
            if let (Some(a), Some(b)) = (layer(from), layer(to)) {
                if b > a {
                    found.push(format!(
                        "{from} (layer {}) imports {to} (layer {})",
                        layers[a], layers[b]
                    ));
                }
            }
        }
    }
    found
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn is_shell(relative: &Path) -> bool {
    relative.starts_with("shell") || relative == Path::new("main.rs") || relative.starts_with("bin")
}

/// The layers, bottom first: the `mod` declarations of src/lib.rs.
fn layers() -> Vec<String> {
    children(&code_only(
        &std::fs::read_to_string(src().join("lib.rs")).expect("src/lib.rs"),
    ))
}

#[test]
fn every_core_module_belongs_to_a_layer() {
    let layers = layers();
    let sources = read_tree(&src(), &is_shell);
    for source in &sources {
        let top = source.module.split("::").next().unwrap_or_default();
        assert!(
            top.is_empty() || layers.iter().any(|l| l == top),
            "src/ holds {} but src/lib.rs declares no layer {top}",
            source.module
        );
    }
    assert!(
        layers.len() >= 5,
        "src/lib.rs declares the layers: {layers:?}"
    );
}

/// A layer imports only from the layers declared before it in src/lib.rs.
#[test]
fn core_imports_only_point_down() {
    let graph = import_graph(&read_tree(&src(), &is_shell));
    let found = upward(&graph, &layers());
    assert!(
        found.is_empty(),
        "imports against the layers:\n{}",
        found.join("\n")
    );
}

/// No module of the core imports one that imports it back, however far round.
#[test]
fn core_has_no_import_circle() {
    let graph = import_graph(&read_tree(&src(), &is_shell));
    let found = circles(&graph);
    assert!(found.is_empty(), "import circles in the core: {found:?}");
}

/// The Compute shell's modules form no circle either.
#[test]
fn shell_has_no_import_circle() {
    let shell = read_tree(&src(), &|p| !is_shell(p) || p.starts_with("bin"));
    assert!(
        shell.iter().any(|s| s.module == "shell"),
        "the shell was read"
    );
    let found = circles(&import_graph(&shell));
    assert!(found.is_empty(), "import circles in the shell: {found:?}");
}

// The checker itself, on small made-up trees, so that it can be seen to fail.

fn tree(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(path, text)| Source {
            module: module_of(Path::new(path)),
            text: (*text).to_owned(),
        })
        .collect()
}

#[test]
fn the_checker_sees_an_upward_import_in_every_spelling() {
    let layers = ["low".to_owned(), "high".to_owned()];
    for import in [
        "use crate::high::Thing;",
        "use crate::{high::Thing, low::Other};",
        "fn f() { crate::high::thing() }",
        "use crate::high::{self, Thing};",
    ] {
        let sources = tree(&[
            ("low/mod.rs", import),
            ("high/mod.rs", ""),
            ("lib.rs", "pub mod low;\npub mod high;"),
        ]);
        let found = upward(&import_graph(&sources), &layers);
        assert_eq!(found.len(), 1, "{import}: {found:?}");
    }
}

#[test]
fn the_checker_ignores_comments_strings_and_downward_imports() {
    let layers = ["low".to_owned(), "high".to_owned()];
    let sources = tree(&[
        (
            "low/mod.rs",
            "//! See crate::high::Thing.\nconst S: &str = \"crate::high::x\";",
        ),
        ("high/mod.rs", "use crate::low::S;"),
    ]);
    let graph = import_graph(&sources);
    assert!(upward(&graph, &layers).is_empty());
    assert!(circles(&graph).is_empty());
}

#[test]
fn the_checker_finds_circles_through_parents_and_children() {
    let sources = tree(&[
        ("a/mod.rs", "mod b;\nuse b::Thing;"),
        ("a/b.rs", "use super::Other;"),
        ("c.rs", "use crate::d::X;"),
        ("d.rs", "use crate::e::X;"),
        ("e.rs", "use crate::c::X;"),
        (
            "f/mod.rs",
            "#[cfg(test)]\nmod tests {\n    use super::*;\n}",
        ),
    ]);
    let found = circles(&import_graph(&sources));
    assert_eq!(
        found,
        [vec!["a", "a::b"], vec!["c", "d", "e"]],
        "an inline test module's `super` is its own file"
    );
}
