//! The example app's server binary (`cargo leptos watch` runs it); all logic is in the library.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match server::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {error}");
            ExitCode::FAILURE
        }
    }
}
