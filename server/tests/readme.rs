//! The README stays true to the tree: its module tables name every module of every crate and
//! package they cover, and nothing that is gone, each Rust module after every module it imports
//! (so the layers it describes have no cycle); it links every guide in `docs/`.

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

/// The modules a Rust file names through `crate::` or `super::` paths (in `use` trees or
/// inline), outside its unit tests and comments, as module paths from the crate root.
fn named_paths(source: &str, module: &str) -> BTreeSet<String> {
    // Unit tests sit at the end of a file and may import anything.
    let code = source
        .find("#[cfg(test)]\nmod tests")
        .map_or(source, |at| &source[..at]);
    let code: String = code
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let parent: Vec<&str> = {
        let mut parts: Vec<&str> = module.split("::").collect();
        parts.pop();
        parts
    };
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("::") {
        let before = &code[..at];
        let head = before
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or_default();
        if head != "crate" && head != "super" {
            continue;
        }
        let base: Vec<String> = if head == "crate" {
            Vec::new()
        } else {
            parent.iter().map(|part| (*part).to_owned()).collect()
        };
        paths_of_tree(&code[at + 2..], base, &mut out);
    }
    out
}

/// The paths of a `use` tree (or an inline path) starting at `rest`, each prefixed by `base`.
fn paths_of_tree(rest: &str, base: Vec<String>, out: &mut BTreeSet<String>) {
    let mut path = base;
    let mut rest = rest.trim_start();
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            if let Some(inner) = rest.strip_prefix('{') {
                for item in split_top_level(inner) {
                    paths_of_tree(item, path.clone(), out);
                }
            }
            break;
        }
        path.push(name.clone());
        rest = rest[name.len()..].trim_start();
        match rest.strip_prefix("::") {
            Some(next) => rest = next.trim_start(),
            None => break,
        }
    }
    out.insert(path.join("::"));
}

/// The items of a `{ ... }` list whose opening brace is already consumed, up to its closing one.
fn split_top_level(inner: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0_usize, 0, Vec::new());
    for (at, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&inner[start..at]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items
}

#[test]
fn each_module_imports_only_modules_listed_before_it() {
    let readme = readme();
    let mut wrong = BTreeSet::new();
    for (dir, _) in tables(&readme) {
        let Some(start) = readme.find(&format!("#### `{dir}`")) else {
            continue;
        };
        let table = &readme[start..];
        let end = [
            table[5..].find("\n#### ").map(|end| end + 5),
            table.find("\n## "),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(table.len());
        let table = &table[..end];
        let order: Vec<String> = table
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|row| row.split('`').next())
            .map(str::to_owned)
            .collect();
        if !order.iter().all(|module| !module.contains('/')) {
            continue; // TypeScript: imports are checked by tsc, not here.
        }
        for (position, module) in order.iter().enumerate() {
            let relative = module.replace("::", "/");
            let file = [format!("{relative}.rs"), format!("{relative}/mod.rs")]
                .into_iter()
                .map(|file| root().join(&dir).join(file))
                .find(|file| file.is_file());
            let Some(file) = file else { continue };
            let source = fs::read_to_string(&file).expect("a module's source");
            for named in named_paths(&source, module) {
                // The longest listed module the path starts with is what it imports.
                let target = order
                    .iter()
                    .enumerate()
                    .filter(|(_, listed)| {
                        named == **listed || named.starts_with(&format!("{listed}::"))
                    })
                    .max_by_key(|(_, listed)| listed.len());
                let Some((at, target)) = target else { continue };
                let related = module.starts_with(&format!("{target}::"))
                    || target.starts_with(&format!("{module}::"))
                    || target == module;
                if at > position && !related {
                    wrong.insert(format!(
                        "{dir}: `{module}` imports `{target}`, listed after it"
                    ));
                }
            }
        }
    }
    let wrong: Vec<String> = wrong.into_iter().collect();
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
