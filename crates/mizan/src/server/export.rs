//! What an app's binary exports without serving or opening a database: `export manifest` today.
//! One line in `main` gives any app the command ([`from_args`]).

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use super::{
    graph::Manifest,
    registry::{Registry, RegistryError},
};
use crate::error::error_chain;

/// The command line's help.
pub const USAGE: &str =
    "usage: <app> export manifest --out FILE   write the Edge manifest as JSON (FILE `-`: stdout)";

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The `#[client]` functions linked into the binary do not register together.
    #[error("the #[client] functions do not register together")]
    Registry(#[from] RegistryError),
    /// The manifest could not be serialized.
    #[error("cannot serialize the manifest")]
    Serialize(#[source] serde_json::Error),
    /// The output could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file (`-` for stdout).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The Edge manifest of every `#[client]` function linked into this binary, as JSON: what
/// `GET /api/mizan/manifest` serves.
pub fn manifest_json() -> Result<String, ExportError> {
    Manifest::of(&Registry::collect()?)
        .to_json()
        .map_err(ExportError::Serialize)
}

/// Writes [`manifest_json`] and a newline to `path` (`-`: stdout).
pub fn export_manifest(path: &Path) -> Result<(), ExportError> {
    let json = manifest_json()? + "\n";
    let written = if path == Path::new("-") {
        std::io::stdout().lock().write_all(json.as_bytes())
    } else {
        std::fs::write(path, json)
    };
    written.map_err(|source| ExportError::Write {
        path: path.to_owned(),
        source,
    })
}

/// An export asked for on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportCommand {
    /// `export manifest --out FILE`.
    Manifest(PathBuf),
    /// `export --help`.
    Help,
}

/// Reads `args` (without the program name): `None` when they do not start with `export` (the
/// app handles them), else the export asked for or what is wrong with it.
pub fn parse_args(args: &[String]) -> Option<Result<ExportCommand, String>> {
    let (first, rest) = args.split_first()?;
    if first != "export" {
        return None;
    }
    Some(match rest {
        [flag] if flag == "--help" || flag == "-h" => Ok(ExportCommand::Help),
        [what, flag, path] if what == "manifest" && flag == "--out" => {
            Ok(ExportCommand::Manifest(PathBuf::from(path)))
        }
        [what, ..] if what == "manifest" => Err("`export manifest` needs `--out FILE`".to_owned()),
        [what, ..] => Err(format!("nothing named `{what}` to export")),
        [] => Err("`export` needs what to export".to_owned()),
    })
}

/// Runs an `export ...` command line and says how the process should exit, or returns `None`
/// when the process' arguments are not an export (serve as usual). In `main`:
///
/// ```no_run
/// # fn serve() -> std::process::ExitCode { std::process::ExitCode::SUCCESS }
/// fn main() -> std::process::ExitCode {
///     if let Some(exit) = mizan::server::export::from_args() {
///         return exit;
///     }
///     serve()
/// }
/// ```
pub fn from_args() -> Option<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args)? {
        Ok(command) => command,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return Some(ExitCode::from(2));
        }
    };
    let result = match command {
        ExportCommand::Manifest(path) => export_manifest(&path),
        ExportCommand::Help => {
            println!("{USAGE}");
            Ok(())
        }
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("export failed: {}", error_chain(&error));
            ExitCode::FAILURE
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{ExportCommand, parse_args};

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn only_export_commands_are_taken() {
        assert_eq!(parse_args(&args("")), None);
        assert_eq!(parse_args(&args("serve --port 3")), None);
        assert_eq!(
            parse_args(&args("export manifest --out m.json")),
            Some(Ok(ExportCommand::Manifest("m.json".into())))
        );
        assert_eq!(
            parse_args(&args("export -h")),
            Some(Ok(ExportCommand::Help))
        );
    }

    #[test]
    fn a_wrong_export_says_what_is_wrong() {
        let error = |text| {
            parse_args(&args(text))
                .and_then(Result::err)
                .expect("an error")
        };
        assert!(error("export manifest").contains("--out FILE"));
        assert!(error("export typescript --out x").contains("`typescript`"));
        assert!(error("export").contains("what to export"));
    }
}
