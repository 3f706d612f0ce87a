//! What an app's binary exports without serving or opening a database: the Edge manifest, the
//! OpenAPI document, and the TypeScript a React app imports. One line in `main` gives any app the
//! commands ([`from_args`]).

use std::{
    ffi::OsString,
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use super::{
    channel::{Channels, DuplicateChannel},
    graph::Manifest,
    openapi::{self, OpenApiError},
    registry::{Registry, RegistryError},
};
use crate::error::error_chain;

/// The command line's help.
pub const USAGE: &str = "\
usage: <app> export manifest --out FILE     the Edge manifest, as JSON (FILE `-`: stdout)
       <app> export openapi --out FILE      the OpenAPI 3.1 document (FILE `-`: stdout)
       <app> export typescript --out DIR    the OpenAPI document, the manifest and the generated
                                            React hooks (`npx mizan-generate` runs this, then
                                            adds the types)";

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The `#[client]` functions linked into the binary do not register together.
    #[error("the #[client] functions do not register together")]
    Registry(#[from] RegistryError),
    /// Two channels have one name.
    #[error("the channels do not register together")]
    Channels(#[from] DuplicateChannel),
    /// The functions' types cannot be described together.
    #[error("cannot describe the functions as OpenAPI")]
    OpenApi(#[from] OpenApiError),
    /// The TypeScript cannot be generated.
    #[error("cannot generate the TypeScript")]
    TypeScript(#[from] mizan_export::ExportError),
    /// A document could not be serialized.
    #[error("cannot serialize the {what}")]
    Serialize {
        /// `manifest` or `OpenAPI document`.
        what: &'static str,
        /// The error.
        source: serde_json::Error,
    },
    /// The output could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file (`-` for stdout).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What an app's binary exports: every `#[client]` function linked into it, less those the app
/// switches off. An app that serves with [`Site::switch_off`](super::Site::switch_off) exports
/// with the same names, so the documents and the generated TypeScript describe what it serves.
/// A function the app turns on only in some environments (a demonstration behind a variable)
/// is switched off here: the export describes the server as deployed by default, and does not
/// change with the environment it runs in.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     let export = mizan::server::export::Export::new().switch_off(["crash_test"]);
///     if let Some(exit) = export.from_args() {
///         return exit;
///     }
///     std::process::ExitCode::SUCCESS // serve
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Export {
    switched_off: Vec<String>,
}

impl Export {
    /// Every linked function.
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves these functions out (see [`Registry::switch_off`]); adds to earlier calls. A name
    /// that is no linked function's fails the export.
    #[must_use]
    pub fn switch_off(mut self, names: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.switched_off
            .extend(names.into_iter().map(|name| name.as_ref().to_owned()));
        self
    }

    /// The registry exported.
    fn registry(&self) -> Result<Registry, ExportError> {
        Ok(Registry::collect()?.switch_off(&self.switched_off)?)
    }

    /// The Edge manifest, as JSON: what `GET /api/mizan/manifest` serves.
    pub fn manifest_json(&self) -> Result<String, ExportError> {
        manifest_of(&self.registry()?, &Channels::collect()?)
    }

    /// The OpenAPI 3.1 document, as pretty JSON: what `GET /api/mizan/openapi.json` serves.
    pub fn openapi_json(&self) -> Result<String, ExportError> {
        let document = openapi::document(&self.registry()?, &Channels::collect()?)?;
        pretty(&document, "OpenAPI document")
    }

    /// Every file `export typescript` writes, by name: `mizan.openapi.json`,
    /// `mizan.manifest.json` and the generated TypeScript (`generated.mizan.ts`, the types,
    /// among them).
    pub fn typescript_files(&self) -> Result<Vec<(String, String)>, ExportError> {
        let registry = self.registry()?;
        let channels = Channels::collect()?;
        let document = openapi::document(&registry, &channels)?;
        let mut files = vec![
            (
                "mizan.openapi.json".to_owned(),
                pretty(&document, "OpenAPI document")? + "\n",
            ),
            (
                "mizan.manifest.json".to_owned(),
                manifest_of(&registry, &channels)? + "\n",
            ),
        ];
        for file in mizan_export::typescript(&document)? {
            files.push((file.name.to_owned(), file.contents));
        }
        Ok(files)
    }

    /// Writes [`manifest_json`](Self::manifest_json) and a newline to `path` (`-`: stdout).
    pub fn write_manifest(&self, path: &Path) -> Result<(), ExportError> {
        write_out(path, &self.manifest_json()?)
    }

    /// Writes [`openapi_json`](Self::openapi_json) and a newline to `path` (`-`: stdout).
    pub fn write_openapi(&self, path: &Path) -> Result<(), ExportError> {
        write_out(path, &self.openapi_json()?)
    }

    /// Writes [`typescript_files`](Self::typescript_files) into the directory `dir` (created if
    /// needed).
    pub fn write_typescript(&self, dir: &Path) -> Result<(), ExportError> {
        let files = self.typescript_files()?;
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |source| ExportError::Write { path, source }
        };
        std::fs::create_dir_all(dir).map_err(failed(dir))?;
        for (name, contents) in files {
            let path = dir.join(name);
            std::fs::write(&path, contents).map_err(failed(&path))?;
        }
        Ok(())
    }

    /// Runs an `export ...` command line and says how the process should exit, or returns
    /// `None` when the process' arguments are not an export (serve as usual).
    pub fn from_args(&self) -> Option<ExitCode> {
        let args: Vec<OsString> = std::env::args_os().skip(1).collect();
        let command = match parse_args(&args)? {
            Ok(command) => command,
            Err(problem) => {
                eprintln!("{problem}\n{USAGE}");
                return Some(ExitCode::from(2));
            }
        };
        let result = match command {
            ExportCommand::Manifest(path) => self.write_manifest(&path),
            ExportCommand::OpenApi(path) => self.write_openapi(&path),
            ExportCommand::TypeScript(dir) => self.write_typescript(&dir),
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
}

/// The Edge manifest of every `#[client]` function linked into this binary, as JSON: what
/// `GET /api/mizan/manifest` serves when no function is switched off ([`Export`] leaves some out).
pub fn manifest_json() -> Result<String, ExportError> {
    Export::new().manifest_json()
}

/// The OpenAPI 3.1 document of every `#[client]` function linked into this binary, as pretty
/// JSON: what `GET /api/mizan/openapi.json` serves when no function is switched off.
pub fn openapi_json() -> Result<String, ExportError> {
    Export::new().openapi_json()
}

fn manifest_of(registry: &Registry, channels: &Channels) -> Result<String, ExportError> {
    Manifest::of(registry)
        .with_channels(channels.iter().map(|def| def.name))
        .to_json()
        .map_err(|source| ExportError::Serialize {
            what: "manifest",
            source,
        })
}

fn pretty(value: &serde_json::Value, what: &'static str) -> Result<String, ExportError> {
    serde_json::to_string_pretty(value).map_err(|source| ExportError::Serialize { what, source })
}

/// Every file `export typescript` writes for every linked function (see
/// [`Export::typescript_files`]).
pub fn typescript_files() -> Result<Vec<(String, String)>, ExportError> {
    Export::new().typescript_files()
}

/// Writes `text` and a newline to `path` (`-`: stdout).
fn write_out(path: &Path, text: &str) -> Result<(), ExportError> {
    let text = format!("{text}\n");
    let written = if path == Path::new("-") {
        std::io::stdout().lock().write_all(text.as_bytes())
    } else {
        std::fs::write(path, text)
    };
    written.map_err(|source| ExportError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Writes [`manifest_json`] and a newline to `path` (`-`: stdout).
pub fn export_manifest(path: &Path) -> Result<(), ExportError> {
    Export::new().write_manifest(path)
}

/// Writes [`openapi_json`] and a newline to `path` (`-`: stdout).
pub fn export_openapi(path: &Path) -> Result<(), ExportError> {
    Export::new().write_openapi(path)
}

/// Writes [`typescript_files`] into the directory `dir` (created if needed).
pub fn export_typescript(dir: &Path) -> Result<(), ExportError> {
    Export::new().write_typescript(dir)
}

/// An export asked for on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportCommand {
    /// `export manifest --out FILE`.
    Manifest(PathBuf),
    /// `export openapi --out FILE`.
    OpenApi(PathBuf),
    /// `export typescript --out DIR`.
    TypeScript(PathBuf),
    /// `export --help`.
    Help,
}

/// Reads `args` (without the program name): `None` when they do not start with `export` (the
/// app handles them), else the export asked for or what is wrong with it. Arguments need not be
/// UTF-8 (a path may not be).
pub fn parse_args(args: &[OsString]) -> Option<Result<ExportCommand, String>> {
    let (first, rest) = args.split_first()?;
    if first != "export" {
        return None;
    }
    Some(match rest {
        [flag] if flag == "--help" || flag == "-h" => Ok(ExportCommand::Help),
        [what, flag, path] if flag == "--out" && what == "manifest" => {
            Ok(ExportCommand::Manifest(PathBuf::from(path)))
        }
        [what, flag, path] if flag == "--out" && what == "openapi" => {
            Ok(ExportCommand::OpenApi(PathBuf::from(path)))
        }
        [what, flag, path] if flag == "--out" && what == "typescript" => {
            Ok(ExportCommand::TypeScript(PathBuf::from(path)))
        }
        [what, ..] if what == "manifest" || what == "openapi" => Err(format!(
            "`export {}` needs `--out FILE`",
            what.to_string_lossy()
        )),
        [what, ..] if what == "typescript" => {
            Err("`export typescript` needs `--out DIR`".to_owned())
        }
        [what, ..] => Err(format!(
            "nothing named `{}` to export",
            what.to_string_lossy()
        )),
        [] => Err("`export` needs what to export".to_owned()),
    })
}

/// Runs an `export ...` command line of every linked function (see [`Export::from_args`] to leave
/// switched-off functions out) and says how the process should exit, or returns `None` when the
/// process' arguments are not an export (serve as usual). In `main`:
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
    Export::new().from_args()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::{ExportCommand, parse_args};

    fn args(text: &str) -> Vec<OsString> {
        text.split_whitespace().map(OsString::from).collect()
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
        assert_eq!(
            parse_args(&args("export typescript --out src/api")),
            Some(Ok(ExportCommand::TypeScript("src/api".into())))
        );
        assert_eq!(
            parse_args(&args("export openapi --out -")),
            Some(Ok(ExportCommand::OpenApi("-".into())))
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
        assert!(error("export typescript").contains("--out DIR"));
        assert!(error("export openapi").contains("--out FILE"));
        assert!(error("export swagger --out x").contains("`swagger`"));
        assert!(error("export").contains("what to export"));
    }

    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_is_taken_as_it_is() {
        use std::os::unix::ffi::OsStringExt;
        let path = OsString::from_vec(b"out-\xff.json".to_vec());
        let args = [
            OsString::from("export"),
            OsString::from("manifest"),
            OsString::from("--out"),
            path.clone(),
        ];
        assert_eq!(
            parse_args(&args),
            Some(Ok(ExportCommand::Manifest(path.into())))
        );
    }
}
