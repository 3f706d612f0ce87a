//! The example app's server binary (`cargo leptos watch` runs it); all logic is in the library.
//!
//! `server` serves the app; `server export manifest --out FILE` writes the Edge manifest and exits.

use std::{path::PathBuf, process::ExitCode};

const USAGE: &str =
    "usage: server                               serve the app (settings: Leptos.toml, environment)
       server export manifest --out FILE     write the Edge manifest as JSON (FILE `-`: stdout)";

/// What the command line asks for.
enum Command {
    Serve,
    ExportManifest(PathBuf),
    Help,
}

fn parse(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Serve),
        [flag] if flag == "--help" || flag == "-h" => Ok(Command::Help),
        [export, what, rest @ ..] if export == "export" && what == "manifest" => match rest {
            [flag, path] if flag == "--out" => Ok(Command::ExportManifest(PathBuf::from(path))),
            _ => Err("`export manifest` needs `--out FILE`".to_owned()),
        },
        [other, ..] => Err(format!("unknown command `{other}`")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match parse(&args) {
        Ok(Command::Serve) => server::run().await,
        Ok(Command::ExportManifest(path)) => server::export_manifest(&path),
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("server: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {}", mizan::server::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
