//! The module graph has no cycles: within every directory of `src/`, its modules (each with all
//! it contains) depend on one another in one direction only. A cycle is how a layer starts to
//! know about the one above it (handlers importing each other, services reaching into
//! handlers); this test names it. Native only: it reads the source tree.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every `.rs` file under `dir` with its module path (`crate::a::b`).
fn modules(dir: &Path, path: &str, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            modules(&p, &format!("{path}::{name}"), out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let module = match name.as_str() {
                "lib" | "mod" => path.to_string(),
                _ => format!("{path}::{name}"),
            };
            out.insert(module, std::fs::read_to_string(&p).unwrap());
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a file names (`a::b::c`), with `use a::{b, c::d}` groups expanded.
fn paths(text: &str) -> Vec<String> {
    scan(text, false)
}

/// `paths`, keeping single names too (the items of a `use` group).
fn scan(text: &str, in_group: bool) -> Vec<String> {
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_ident(chars[i]) && (i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
            let start = i;
            while i < chars.len() && (is_ident(chars[i]) || (chars[i] == ':' && chars.get(i + 1) == Some(&':'))) {
                i += if chars[i] == ':' { 2 } else { 1 };
            }
            let path: String = chars[start..i].iter().collect();
            if path.ends_with("::") && chars.get(i) == Some(&'{') {
                let (mut depth, open) = (0, i);
                while i < chars.len() {
                    match chars[i] {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                let inner: String = chars[open + 1..i].iter().collect();
                out.extend(scan(&inner, true).into_iter().map(|p| format!("{path}{p}")));
            } else if path.contains("::") || in_group {
                out.push(path.trim_end_matches("::").to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The module a path in `from` refers to: the longest known module it starts with. `super` is
/// the parent of the module (for `a/mod.rs` as for `a/b.rs`), `self` the module itself.
fn target(from: &str, path: &str, known: &BTreeSet<String>) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = from.split("::").collect();
    match parts[0] {
        "crate" => {
            base = vec!["crate"];
            parts.remove(0);
        }
        "super" => {
            while parts.first() == Some(&"super") {
                base.pop();
                parts.remove(0);
            }
        }
        "self" => {
            parts.remove(0);
        }
        first if known.contains(&format!("{from}::{first}")) => {}
        _ => return None,
    }
    let mut cur = base.join("::");
    let mut best = known.contains(&cur).then(|| cur.clone());
    for p in parts {
        cur = format!("{cur}::{p}");
        if known.contains(&cur) {
            best = Some(cur.clone());
        }
    }
    best
}

#[test]
fn no_directory_has_modules_that_depend_on_each_other_in_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    modules(&root, "crate", &mut files);
    let known: BTreeSet<String> = files.keys().cloned().collect();
    let dir_modules: BTreeSet<String> = known.iter().filter(|m| known.iter().any(|k| k.starts_with(&format!("{m}::")))).cloned().collect();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (module, text) in &files {
        for p in paths(text) {
            if let Some(t) = target(module, &p, &known) {
                if &t != module {
                    edges.insert((module.clone(), t));
                }
            }
        }
    }
    // Within each directory: its children, each standing for everything under it.
    let mut cycles = Vec::new();
    for dir in &dir_modules {
        let child_of = |m: &str| -> Option<String> {
            let rest = m.strip_prefix(&format!("{dir}::"))?;
            Some(format!("{dir}::{}", rest.split("::").next().unwrap()))
        };
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in &edges {
            if let (Some(a), Some(b)) = (child_of(from), child_of(to)) {
                if a != b {
                    graph.entry(a).or_default().insert(b);
                }
            }
        }
        // Depth-first search for a back edge.
        fn visit(n: &str, g: &BTreeMap<String, BTreeSet<String>>, state: &mut BTreeMap<String, u8>, stack: &mut Vec<String>) -> Option<Vec<String>> {
            state.insert(n.to_string(), 1);
            stack.push(n.to_string());
            for m in g.get(n).into_iter().flatten() {
                match state.get(m).copied().unwrap_or(0) {
                    1 => {
                        let at = stack.iter().position(|s| s == m).unwrap();
                        let mut cycle = stack[at..].to_vec();
                        cycle.push(m.clone());
                        return Some(cycle);
                    }
                    0 => {
                        if let Some(c) = visit(m, g, state, stack) {
                            return Some(c);
                        }
                    }
                    _ => {}
                }
            }
            stack.pop();
            state.insert(n.to_string(), 2);
            None
        }
        let mut state = BTreeMap::new();
        for n in graph.keys() {
            if state.get(n).copied().unwrap_or(0) == 0 {
                if let Some(c) = visit(n, &graph, &mut state, &mut Vec::new()) {
                    cycles.push(c.join(" -> "));
                    break;
                }
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
    // The scanner sees real dependencies (a scanner that saw none would pass anything).
    assert!(edges.contains(&("crate::runtime::handlers::actions".into(), "crate::actions::pipeline".into())), "{edges:?}");
    assert!(edges.contains(&("crate::actions::recruiter_paid_media::pause_campaign".into(), "crate::actions::recruiter_paid_media".into())));
}

#[test]
fn only_the_runtime_touches_worker_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    modules(&root, "crate", &mut files);
    for (module, text) in &files {
        if !module.starts_with("crate::runtime") && module != "crate" {
            let names_runtime = paths(text).iter().any(|p| p.starts_with("crate::runtime") || p.starts_with("worker::"));
            assert!(!names_runtime, "{module} reaches into the runtime or the worker bindings");
        }
    }
}
