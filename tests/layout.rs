//! The shape of the code, held to what `lib.rs` and the layout notes promise: modules import
//! only from their own floor or below, no two source files import each other (directly or
//! round a circle), no function is over 60 lines and no file over 700 lines of code before its
//! unit tests. Read from the sources themselves, so it cannot drift from them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's floor, from the bottom up.
const FLOORS: &[(&str, usize)] = &[
    ("config", 0),
    ("clock", 0),
    ("error", 0),
    ("i18n", 0),
    ("vocab", 0),
    ("lineage", 1),
    ("domain", 1),
    ("store", 2),
    ("metrics", 3),
    ("auth", 4),
    ("stateless", 4),
    ("web", 5),
    ("ops", 5),
    ("app", 6),
    ("main", 6),
    ("bin", 6),
];

const MAX_FUNCTION_LINES: usize = 60;
const MAX_FILE_CODE_LINES: usize = 700;
/// Tables of strings, not logic: the English and Korean texts (their size is their content).
const STRING_TABLES: &[&str] = &[
    "src/i18n/texts.rs",
    "src/i18n/describe.rs",
    "src/i18n/lesson.rs",
    "src/i18n/api.rs",
];

struct Source {
    /// `["store", "sessions", "cache"]`; the crate root is `[]`.
    module: Vec<String>,
    /// The code before the unit tests.
    code: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code before the first `#[cfg(test)]` at the start of a line, without comments (a doc
/// comment may name any module).
fn before_tests(text: &str) -> String {
    let code = match text.find("\n#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .map(|line| {
            let comment = line
                .match_indices("//")
                .find(|(at, _)| line[..*at].chars().last().is_none_or(char::is_whitespace));
            match comment {
                Some((at, _)) => &line[..at],
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every source file but unit-test modules of their own (`tests.rs`).
fn sources() -> BTreeMap<String, Source> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter(|path| !path.ends_with("tests.rs"))
        .map(|path| {
            let relative = path.strip_prefix(&src).unwrap().to_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = format!("src/{}", relative.display());
            let source = Source {
                module: module_of(&relative),
                code: before_tests(&text),
            };
            (name, source)
        })
        .collect()
}

/// Every `a::b::c` path a `use` names, with braces expanded.
fn expand_use(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let head = join(prefix, head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use(&inner[start..i], &head, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_use(&inner[start..], &head, out);
    } else if !tree.is_empty() {
        let path = tree.split(" as ").next().unwrap().trim();
        let path = if path == "self" { "" } else { path };
        out.push(join(prefix, path));
    }
}

fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}::{rest}"),
    }
}

/// The paths a file refers to: its `use` trees and any `crate::…`/`super::…` in its code.
fn referenced_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        let tree: String = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        if tree.starts_with("crate::") || tree.starts_with("super::") || tree.starts_with("self::")
        {
            expand_use(&tree, "", &mut out);
        }
    }
    for anchor in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(anchor) {
            let preceded = rest[..at].chars().last();
            let tail = &rest[at..];
            let len = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            if !preceded.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                out.push(tail[..len].trim_end_matches(':').to_owned());
            }
            rest = &rest[at + anchor.len()..];
        }
    }
    out
}

/// The file a path from `from` lands in: the longest prefix naming a module file.
fn resolve(path: &str, from: &[String], modules: &BTreeMap<Vec<String>, String>) -> Option<String> {
    let mut segments: Vec<String> = Vec::new();
    let mut parts = path.split("::").peekable();
    match parts.peek().copied() {
        Some("crate") => {
            parts.next();
        }
        Some("super") | Some("self") => {
            segments = from.to_vec();
            while let Some(&p) = parts.peek() {
                match p {
                    "super" => {
                        segments.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                parts.next();
            }
        }
        _ => return None,
    }
    segments.extend(parts.map(str::to_owned));
    (0..=segments.len())
        .rev()
        .find_map(|n| modules.get(&segments[..n]).cloned())
}

fn floor(module: &[String], file: &str) -> usize {
    let top = if file.starts_with("src/bin/") {
        "bin"
    } else if file == "src/main.rs" {
        "main"
    } else {
        module.first().map_or("", String::as_str)
    };
    FLOORS
        .iter()
        .find(|(name, _)| *name == top)
        .map_or(usize::MAX, |(_, f)| *f)
}

/// Imports between files, leaving out a module's own file presenting its children.
fn edges(sources: &BTreeMap<String, Source>) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<Vec<String>, String> = sources
        .iter()
        .map(|(file, s)| (s.module.clone(), file.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for (file, source) in sources {
        // In `main.rs` and the binaries, `crate` is the binary itself; `lib.rs` only declares.
        if file == "src/main.rs" || file == "src/lib.rs" || file.starts_with("src/bin/") {
            continue;
        }
        let mut to = BTreeSet::new();
        for path in referenced_paths(&source.code) {
            let Some(target) = resolve(&path, &source.module, &modules) else {
                continue;
            };
            let child_of_this = sources[&target].module.starts_with(&source.module);
            if target != *file && !child_of_this {
                to.insert(target);
            }
        }
        graph.insert(file.clone(), to);
    }
    graph
}

#[test]
fn modules_import_only_from_their_floor_or_below() {
    let sources = sources();
    let mut wrong = Vec::new();
    for (file, targets) in edges(&sources) {
        let own = floor(&sources[&file].module, &file);
        assert_ne!(own, usize::MAX, "{file} is on no floor: add it to FLOORS");
        for target in targets {
            let theirs = floor(&sources[&target].module, &target);
            if theirs > own {
                wrong.push(format!(
                    "{file} (floor {own}) imports {target} (floor {theirs})"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports from above:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_files_import_each_other() {
    let graph = edges(&sources());
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        file: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|f| f == file) {
            let mut circle = path[at..].to_vec();
            circle.push(file.to_owned());
            return Some(circle);
        }
        if done.contains(file) {
            return None;
        }
        path.push(file.to_owned());
        for next in graph.get(file).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(file.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for file in graph.keys() {
        if let Some(circle) = visit(file, &graph, &mut Vec::new(), &mut done) {
            panic!("an import circle: {}", circle.join(" -> "));
        }
    }
}

/// `fn` lines and where their bodies end, in rustfmt's layout: the closing brace at the same
/// indentation.
fn functions(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        let qualifiers = ["pub", "async", "const", "unsafe", "extern"];
        let is_item = words[..at]
            .iter()
            .all(|w| qualifiers.contains(w) || w.starts_with("pub("));
        if !is_item || trimmed.starts_with("//") {
            continue;
        }
        let indent = line.len() - trimmed.len();
        // A signature without a body (a trait's) ends in `;` before any `{`.
        let signature_end = lines[i..]
            .iter()
            .position(|l| l.contains('{') || l.trim_end().ends_with(';'))
            .map(|n| i + n);
        let Some(signature_end) = signature_end else {
            continue;
        };
        if !lines[signature_end].contains('{') {
            continue;
        }
        if lines[signature_end].trim_end().ends_with('}') {
            continue; // a one-line body
        }
        let end = lines[signature_end + 1..].iter().position(|l| {
            let t = l.trim_start();
            l.len() - t.len() == indent && t.starts_with('}')
        });
        if let Some(end) = end {
            let name = words.get(at + 1).copied().unwrap_or("?");
            let name = name.split(['(', '<']).next().unwrap_or(name).to_owned();
            found.push((name, signature_end + 1 + end - i + 1));
        }
    }
    found
}

#[test]
fn no_function_is_over_sixty_lines() {
    let mut long = Vec::new();
    for (file, source) in sources() {
        if STRING_TABLES.contains(&file.as_str()) {
            continue;
        }
        for (name, lines) in functions(&source.code) {
            if lines > MAX_FUNCTION_LINES {
                long.push(format!("{file}: fn {name} is {lines} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_file_is_over_seven_hundred_lines_of_code() {
    let mut long = Vec::new();
    for (file, source) in sources() {
        if STRING_TABLES.contains(&file.as_str()) {
            continue;
        }
        let code = source
            .code
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .count();
        if code > MAX_FILE_CODE_LINES {
            long.push(format!("{file}: {code} lines of code"));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_CODE_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The checks themselves, on small examples: a circle is found, braces are expanded, and a
/// long function is measured.
#[test]
fn the_checks_see_what_they_look_for() {
    let mut paths = Vec::new();
    expand_use(
        "crate::store::{self, Db, sessions::{cache::X, Y}}",
        "",
        &mut paths,
    );
    assert_eq!(
        paths,
        [
            "crate::store",
            "crate::store::Db",
            "crate::store::sessions::cache::X",
            "crate::store::sessions::Y"
        ]
    );
    let refs = referenced_paths("fn f() { crate::error::is_unavailable(&e); }\nuse super::x;");
    assert!(refs.contains(&"super::x".to_owned()), "{refs:?}");
    assert!(
        refs.contains(&"crate::error::is_unavailable".to_owned()),
        "{refs:?}"
    );
    let body = format!("fn long() {{\n{}}}\n", "    x();\n".repeat(70));
    assert_eq!(functions(&body), [("long".to_owned(), 72)]);
}
