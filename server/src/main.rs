//! The example app's server binary (`cargo leptos watch` runs it); all logic is in the library.
//!
//! `server` serves the app; `server export manifest --out FILE` writes the Edge manifest and exits.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    if let Some(exit) = server::export().from_args() {
        return exit;
    }
    if let Some(other) = std::env::args_os().nth(1) {
        eprintln!(
            "server: unknown command `{}`\n{}",
            other.to_string_lossy(),
            mizan::server::export::USAGE
        );
        return ExitCode::from(2);
    }
    match server::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {}", mizan::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
