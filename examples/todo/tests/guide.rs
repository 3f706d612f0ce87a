//! `docs/getting-started.md` shows this crate's files: each block marked `title="<file>"` must be
//! that file, byte for byte, so the guide's code is the code `make test` builds and drives.

use std::path::Path;

/// The blocks of `markdown` whose fence names a file: `(file, contents)`.
fn titled_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in markdown.lines() {
        if let Some((file, body)) = &mut open {
            if line.trim_end() == "```" {
                blocks.push((std::mem::take(file), std::mem::take(body)));
                open = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
            continue;
        }
        let titled = line
            .strip_prefix("```")
            .and_then(|info| info.split("title=\"").nth(1))
            .and_then(|rest| rest.split('"').next());
        if let Some(file) = titled {
            open = Some((file.to_owned(), String::new()));
        }
    }
    blocks
}

#[test]
fn the_guide_shows_this_crate_exactly() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide_path = crate_dir.join("../../docs/getting-started.md");
    let guide = std::fs::read_to_string(&guide_path).expect("docs/getting-started.md exists");
    let blocks = titled_blocks(&guide);
    let files: Vec<&str> = blocks.iter().map(|(file, _)| file.as_str()).collect();
    assert_eq!(
        files,
        ["migrations/0001_todos.sql", "src/lib.rs", "src/main.rs"],
        "the guide shows these files, in this order"
    );
    for (file, shown) in &blocks {
        let actual = std::fs::read_to_string(crate_dir.join(file)).expect("the file exists");
        assert!(
            *shown == actual,
            "docs/getting-started.md's {file} differs from examples/todo/{file}"
        );
    }
}
