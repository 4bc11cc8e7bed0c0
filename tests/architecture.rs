//! The shape of `src/`, read from the code's own paths so that it stays
//! as the README describes it:
//!
//! - no import cycle between files anywhere in `src/`;
//! - the top-level modules depend one way, in the order `lib.rs` lists
//!   them (`proto` at the bottom, `artifact` at the top);
//! - inside `artifact/`, the stages import only the stages before them:
//!   `error`/`path` < `request` < `inputs` < `plan` < `blobs` < `layout` < `push` < `mod.rs`.
//!
//! An edge is any path in the code (a `use`, or an inline `a::b::c`) that
//! starts at `crate`, `super` or a child module and names another file's
//! module. Test modules (`*_tests.rs`, `tests/`, `#[cfg(test)]` blocks)
//! are left out: they may look anywhere, and so are comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The top-level modules, bottom first, as `lib.rs` lists them.
const LAYERS: [&str; 12] = [
    "proto",
    "digest",
    "llb",
    "oci",
    "gateway",
    "suggest",
    "modelpack",
    "artifactfile",
    "modelfile",
    "blobtool",
    "registry",
    "artifact",
];

/// The artifact pipeline's stages, first first.
const STAGES: [&str; 7] = [
    "base", "request", "inputs", "plan", "blobs", "layout", "push",
];

/// A source file: its module path (`crate::artifact::plan`) and the text
/// that is not test code.
struct File {
    module: Vec<String>,
    text: String,
}

fn files() -> Vec<File> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(SRC)];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "tests" {
                    stack.push(p);
                }
                continue;
            }
            if !name.ends_with(".rs") || name.ends_with("_tests.rs") || name == "tests.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            // Inline test modules sit at the end of a file; comments
            // (doc links included) import nothing.
            let text = match text.find("#[cfg(test)]") {
                Some(i) => &text[..i],
                None => &text,
            };
            let text: String = text
                .lines()
                .map(|l| l.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            out.push(File {
                module: module_of(&p),
                text,
            });
        }
    }
    out
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `crate::a::b`; `lib.rs` and
/// `main.rs` are `crate`.
fn module_of(p: &Path) -> Vec<String> {
    let rel = p.strip_prefix(SRC).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    let mut module = vec!["crate".to_string()];
    module.extend(parts);
    module
}

/// Every path in `text` that may name a module: `a::b::c`, with the items
/// of a `{...}` group each appended to the path before it.
fn paths(text: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = chars[i].is_alphabetic() || chars[i] == '_';
        let after_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if starts_word && !after_word && !(i > 0 && chars[i - 1] == ':') {
            let (path, end) = path_at(&chars, i, Vec::new(), &mut out);
            if path.len() > 1 {
                out.push(path);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Reads `a::b::{c, d::e}` from `i`; pushes group items into `out` and
/// gives the plain path and where it ended.
fn path_at(
    chars: &[char],
    mut i: usize,
    mut path: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> (Vec<String>, usize) {
    loop {
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        path.push(chars[start..i].iter().collect());
        if !(i + 2 < chars.len() && chars[i] == ':' && chars[i + 1] == ':') {
            return (path, i);
        }
        i += 2;
        if chars[i] == '{' {
            i += 1;
            loop {
                while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
                    i += 1;
                }
                if i >= chars.len() || chars[i] == '}' {
                    return (Vec::new(), i + 1);
                }
                let (item, end) = path_at(chars, i, path.clone(), out);
                out.push(item);
                i = end;
                // Skip `as name` and anything else up to the next item.
                while i < chars.len() && chars[i] != ',' && chars[i] != '}' {
                    i += 1;
                }
            }
        }
        if !(chars[i].is_alphabetic() || chars[i] == '_') {
            return (path, i);
        }
    }
}

/// The modules each file's code names, as files (module paths).
fn edges(files: &[File]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let known: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut out = BTreeMap::new();
    for f in files {
        let mut targets = BTreeSet::new();
        for p in paths(&f.text) {
            let mut abs: Vec<String> = match p[0].as_str() {
                "crate" => vec!["crate".into()],
                "super" | "self" => f.module.clone(),
                _ => {
                    let mut child = f.module.clone();
                    child.push(p[0].clone());
                    if !known.contains(&child) {
                        continue;
                    }
                    f.module.clone()
                }
            };
            let rest = if p[0] == "crate" { &p[1..] } else { &p[..] };
            for seg in rest {
                match seg.as_str() {
                    "super" => {
                        abs.pop();
                    }
                    "self" => {}
                    s => abs.push(s.to_string()),
                }
            }
            // The longest prefix that is a file's module.
            while !abs.is_empty() && !known.contains(&abs) {
                abs.pop();
            }
            if !abs.is_empty() && abs != f.module && abs != ["crate"] {
                targets.insert(abs);
            }
        }
        out.insert(f.module.clone(), targets);
    }
    out
}

fn name(m: &[String]) -> String {
    m.join("::")
}

/// Rank of a top-level module (`main` and `lib` above everything).
fn layer(m: &[String]) -> usize {
    m.get(1)
        .and_then(|top| LAYERS.iter().position(|l| l == top))
        .unwrap_or(LAYERS.len())
}

/// Rank of a module of `artifact`, if it is one.
fn stage(m: &[String]) -> Option<usize> {
    if m.get(1).map(String::as_str) != Some("artifact") {
        return None;
    }
    match m.get(2).map(String::as_str) {
        None => Some(STAGES.len()),
        Some("error" | "path") => Some(0),
        Some(s) => STAGES.iter().position(|st| st == &s),
    }
}

/// The strongly connected components of more than one file (Tarjan's
/// algorithm): each is a set of files that import each other in a circle.
fn circles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, (usize, usize)>,
        stack: Vec<&'a Vec<String>>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, m: &'a Vec<String>) -> usize {
            let me = self.next;
            self.next += 1;
            self.index.insert(m, (me, me));
            self.stack.push(m);
            let mut low = me;
            for to in self.graph.get(m).into_iter().flatten() {
                let to = self.graph.get_key_value(to).map_or(to, |(k, _)| k);
                match self.index.get(to) {
                    None => low = low.min(self.visit(to)),
                    Some(&(i, _)) if self.stack.contains(&to) => low = low.min(i),
                    Some(_) => {}
                }
            }
            self.index.insert(m, (me, low));
            if low == me {
                let at = self.stack.iter().position(|s| *s == m).unwrap_or(0);
                let scc: Vec<String> = self.stack.drain(at..).map(|m| name(m)).collect();
                if scc.len() > 1 {
                    self.found.push(scc);
                }
            }
            low
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for m in graph.keys() {
        if !walk.index.contains_key(m) {
            walk.visit(m);
        }
    }
    walk.found
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let found = circles(&edges(&files()));
    assert!(found.is_empty(), "files importing each other: {found:#?}");
}

#[test]
fn the_circle_finder_finds_circles() {
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let graph = BTreeMap::from([
        (m("crate::a"), BTreeSet::from([m("crate::b")])),
        (
            m("crate::b"),
            BTreeSet::from([m("crate::a"), m("crate::c")]),
        ),
        (m("crate::c"), BTreeSet::new()),
    ]);
    let mut found = circles(&graph);
    found.iter_mut().for_each(|c| c.sort());
    assert_eq!(found, [["crate::a", "crate::b"]]);
}

#[test]
fn top_level_modules_depend_downward_only() {
    let mut wrong = Vec::new();
    for (from, targets) in edges(&files()) {
        for to in targets {
            if layer(&to) > layer(&from) {
                wrong.push(format!("{} -> {}", name(&from), name(&to)));
            }
        }
    }
    assert!(wrong.is_empty(), "imports up the module order: {wrong:#?}");
}

#[test]
fn artifact_stages_import_only_earlier_stages() {
    let graph = edges(&files());
    let mut wrong = Vec::new();
    let mut seen = 0;
    for (from, targets) in &graph {
        let Some(s) = stage(from) else { continue };
        for to in targets {
            let Some(t) = stage(to) else { continue };
            seen += 1;
            if t > s {
                wrong.push(format!("{} -> {}", name(from), name(to)));
            }
        }
    }
    assert!(
        seen > 20,
        "the test reads too few edges ({seen}): is it blind?"
    );
    assert!(wrong.is_empty(), "a stage imports a later one: {wrong:#?}");
}

#[test]
fn the_reader_sees_use_groups_and_inline_paths() {
    let p = paths(
        "use super::sources::{ignore, input::{self, transfer_paths}};\nlet x = from_contract::plan(gw);",
    );
    let shown: Vec<String> = p.iter().map(|p| p.join("::")).collect();
    for want in [
        "super::sources::ignore",
        "super::sources::input::self",
        "super::sources::input::transfer_paths",
        "from_contract::plan",
    ] {
        assert!(shown.contains(&want.to_string()), "{want} in {shown:?}");
    }
}
