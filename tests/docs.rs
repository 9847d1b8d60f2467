//! Holds the documentation to what it promises: every relative link in README.md, BENCHMARKS.md
//! and docs/ leads to a file that exists (and, with `#anchor`, to one of its headings), and every
//! setting the app reads is a row of docs/settings.md's table. Read from the files themselves.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// README.md, BENCHMARKS.md and every Markdown file under docs/.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("BENCHMARKS.md")];
    files_under(&root().join("docs"), "md", &mut files);
    files
}

/// The text with every line of a fenced code block (fences included) blanked, so that offsets
/// still give line numbers.
fn prose(text: &str) -> String {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        fenced ^= fence;
        out.push(if fenced || fence { "" } else { line });
    }
    out.join("\n")
}

/// GitHub's anchor for a heading: lower case, spaces to '-', punctuation but '-' and '_' dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (a repeated heading gets `-1`, `-2`, … as on GitHub).
fn anchors(text: &str) -> Vec<String> {
    let (mut bases, mut found) = (Vec::new(), Vec::new());
    for line in prose(text).lines() {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(line[hashes..].trim().trim_end_matches('#'));
        let repeats = bases.iter().filter(|b| **b == base).count();
        found.push(match repeats {
            0 => base.clone(),
            n => format!("{base}-{n}"),
        });
        bases.push(base);
    }
    found
}

/// Every inline link target `[text](target)` (images too) outside fenced code, with its line.
fn links(text: &str) -> Vec<(usize, String)> {
    let text = prose(text);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("](").map(|i| from + i) {
        let start = at + 2;
        let end = text[start..].find(')').map_or(text.len(), |i| start + i);
        let target = &text[start..end];
        if text[from..at].contains('[')
            && !target.is_empty()
            && !target.contains(char::is_whitespace)
        {
            let line = text[..at].matches('\n').count() + 1;
            out.push((line, target.trim_matches(['<', '>']).to_owned()));
        }
        from = end.min(text.len());
    }
    out
}

/// What is wrong with one link of `file`, if anything.
fn broken(file: &Path, target: &str) -> Option<String> {
    if ["http:", "https:", "mailto:"]
        .iter()
        .any(|s| target.starts_with(s))
    {
        return None;
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let linked = match path {
        "" => file.to_owned(),
        path => file.parent().unwrap().join(path),
    };
    if !linked.exists() {
        return Some("no such file".into());
    }
    if anchor.is_empty() {
        return None;
    }
    if linked.extension().is_none_or(|e| e != "md") {
        return Some("an anchor into a file that is not Markdown".into());
    }
    let text = std::fs::read_to_string(&linked).unwrap();
    (!anchors(&text).iter().any(|a| a == anchor)).then(|| "no heading with that anchor".into())
}

#[test]
fn every_relative_link_resolves() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for (line, target) in links(&text) {
            checked += 1;
            if let Some(why) = broken(&file, &target) {
                wrong.push(format!("{name}:{line}: ({target}): {why}"));
            }
        }
    }
    assert!(wrong.is_empty(), "broken links:\n{}", wrong.join("\n"));
    assert!(
        checked > 20,
        "only {checked} links found: is the extraction broken?"
    );
}

/// The string literal right after `at` (whitespace allowed before it), if there is one.
fn literal_at(code: &str, at: usize) -> Option<&str> {
    let rest = code[at..].trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

fn is_setting_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The names passed as literals to the settings reader (`env.get("NAME")`, `env.duration(…`,
/// `env.whole_seconds(…`, `env.flag(…`, `env.port(…`, `env` and the call possibly on two
/// lines) and to `ConfigError::new("NAME"` (only names of one variable: not `"A, B"`, not `.env`).
fn settings_read_by(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for method in ["get", "duration", "whole_seconds", "flag", "port"] {
        let call = format!(".{method}(");
        for (at, _) in code.match_indices(&call) {
            let Some(before) = code[..at].trim_end().strip_suffix("env") else {
                continue;
            };
            if !before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                names.extend(literal_at(code, at + call.len()).map(str::to_owned));
            }
        }
    }
    let call = "ConfigError::new(";
    for (at, _) in code.match_indices(call) {
        names.extend(literal_at(code, at + call.len()).map(str::to_owned));
    }
    // And any literal that is a setting's name by its shape (`const VAR: &str = "NAME"`, a
    // helper's argument): upper case with an underscore, like every variable the app reads.
    let mut rest = code;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let literal = &after[..close];
        if literal.contains('_') && literal.starts_with(|c: char| c.is_ascii_uppercase()) {
            names.push(literal.to_owned());
        }
        rest = &after[close + 1..];
    }
    names.retain(|n| is_setting_name(n));
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_setting_is_in_the_settings_table() {
    let mut sources = Vec::new();
    files_under(&root().join("src/config"), "rs", &mut sources);
    let mut names: Vec<String> = sources
        .iter()
        .flat_map(|f| settings_read_by(&std::fs::read_to_string(f).unwrap()))
        .collect();
    // Read by the logging set-up (tracing's EnvFilter), not by `config`.
    names.push("RUST_LOG".into());
    names.sort();
    names.dedup();
    let table = std::fs::read_to_string(root().join("docs/settings.md")).unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !rows.iter().any(|r| r.contains(&format!("`{n}`"))))
        .collect();
    assert!(
        missing.is_empty(),
        "settings not in docs/settings.md's table: {missing:?}"
    );
    assert!(
        names.len() > 20,
        "only {} settings found: {names:?}",
        names.len()
    );
}

/// The helpers themselves, on small examples, so the checks above cannot pass by finding nothing.
#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(
        slug("Rotation by lineage: a lost answer is not theft"),
        "rotation-by-lineage-a-lost-answer-is-not-theft"
    );
    assert_eq!(slug("`/sessions` and `/password`"), "sessions-and-password");
    assert_eq!(
        anchors("# A\n```\n# not a heading\n```\n## A\n#nope"),
        ["a", "a-1"]
    );
    let text = "See [a](x.md#y), ![b](c.png) and [c\nd](https://e).\n```\n[no](z.md)\n```\n[e](#f)";
    let found: Vec<(usize, String)> = links(text);
    let expected = [(1, "x.md#y"), (1, "c.png"), (2, "https://e"), (6, "#f")];
    assert_eq!(found, expected.map(|(l, t)| (l, t.to_owned())));
    let code = "env.get(\"HOST\"); env\n    .port(\"PORT\", 1); myenv.get(\"NOPE\");\n\
        ConfigError::new(\n    \"TLS_KEY\", m); ConfigError::new(\"A, B\", m); ConfigError::new(\".env\", m);\n\
        const VAR: &str = \"CORS_ALLOWED_ORIGINS\"; wait(\"DATABASE_BUSY_TIMEOUT\"); x(\"HS256\")";
    assert_eq!(
        settings_read_by(code),
        [
            "CORS_ALLOWED_ORIGINS",
            "DATABASE_BUSY_TIMEOUT",
            "HOST",
            "PORT",
            "TLS_KEY"
        ]
    );
}
