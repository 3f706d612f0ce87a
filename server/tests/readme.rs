//! The README stays true to the tree: its module tables name every module of every crate and
//! package they cover, and nothing that is gone; it links every guide in `docs/`.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate sits in the repository")
        .to_path_buf()
}

fn readme() -> String {
    fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The README's module tables: for each `#### \`dir\`` heading under "Modules, one job each",
/// the first column's names.
fn tables(readme: &str) -> Vec<(String, BTreeSet<String>)> {
    let start = readme
        .find("### Modules, one job each")
        .expect("the README has a \"Modules, one job each\" section");
    let section = &readme[start..];
    let end = section[1..]
        .find("\n## ")
        .map_or(section.len(), |at| at + 1);
    let mut tables: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in section[..end].lines() {
        if let Some(heading) = line.strip_prefix("#### `") {
            let dir = heading.split('`').next().unwrap_or_default();
            tables.push((dir.to_owned(), BTreeSet::new()));
        } else if let Some(row) = line.strip_prefix("| `")
            && let Some((_, names)) = tables.last_mut()
        {
            names.insert(row.split('`').next().unwrap_or_default().to_owned());
        }
    }
    tables
}

/// Every module under `dir`, as the README names them: Rust modules by path (`server::socket`,
/// a folder's `mod.rs` by the folder), TypeScript files by path without extension
/// (`core/socket`). Entry points (`lib.rs`, `main.rs`, `index.ts`), unit-test modules
/// (`tests.rs`) and snapshots are not modules of their own job.
fn modules(dir: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeSet<String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default()
                .to_owned();
            if path.is_dir() {
                if name != "snapshots" {
                    let mut inner = prefix.to_vec();
                    inner.push(name);
                    walk(&path, &inner, out);
                }
                continue;
            }
            let Some((stem, extension)) = name.rsplit_once('.') else {
                continue;
            };
            let module = match (stem, extension) {
                ("lib" | "main" | "tests", "rs") | ("index", "ts") => None,
                ("mod", "rs") => Some(prefix.join("::")),
                (_, "rs") => Some([prefix, &[stem.to_owned()]].concat().join("::")),
                (_, "ts" | "tsx") => Some([prefix, &[stem.to_owned()]].concat().join("/")),
                _ => None,
            };
            out.extend(module.filter(|module| !module.is_empty()));
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, &[], &mut out);
    out
}

#[test]
fn the_module_tables_name_every_module_and_only_those() {
    let tables = tables(&readme());
    let dirs: Vec<&str> = tables.iter().map(|(dir, _)| dir.as_str()).collect();
    for expected in [
        "crates/mizan/src",
        "crates/mizan-expand/src",
        "crates/mizan-export/src",
        "crates/mizan-platform/src",
        "app/src",
        "packages/mizan-react/src",
    ] {
        assert!(
            dirs.contains(&expected),
            "the README has no module table for {expected} (it has {dirs:?})"
        );
    }
    let mut wrong = Vec::new();
    for (dir, listed) in &tables {
        let present = modules(&root().join(dir));
        let missing: Vec<_> = present.difference(listed).collect();
        let gone: Vec<_> = listed.difference(&present).collect();
        if !missing.is_empty() || !gone.is_empty() {
            wrong.push(format!(
                "{dir}: not in the README {missing:?}; in the README but not in the tree {gone:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_readme_links_every_guide() {
    let readme = readme();
    let mut guides: Vec<String> = fs::read_dir(root().join("docs"))
        .expect("docs/")
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".md"))
        .collect();
    guides.sort();
    let unlinked: Vec<&String> = guides
        .iter()
        .filter(|guide| !readme.contains(&format!("(docs/{guide})")))
        .collect();
    assert!(unlinked.is_empty(), "the README links none of {unlinked:?}");
}
