//! Structured logging through `tracing`, configured by the `[log]` settings.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::settings::{LogFormat, LogSettings};

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// `log.filter` / `RUST_LOG` is not a valid `tracing` filter.
    #[error("log filter {filter:?} is invalid")]
    Filter {
        /// The directive text.
        filter: String,
        /// The parser's reason.
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber was already installed (logging initialised twice).
    #[error("logging was already initialised")]
    AlreadySet(#[from] tracing_subscriber::util::TryInitError),
}

/// Installs the global `tracing` subscriber: text or JSON lines on stderr, filtered as configured.
pub fn init_tracing(settings: &LogSettings) -> Result<(), TelemetryError> {
    let filter = EnvFilter::try_new(&settings.filter).map_err(|source| TelemetryError::Filter {
        filter: settings.filter.clone(),
        source,
    })?;
    let registry = tracing_subscriber::registry().with(filter);
    // Colour only for a person at a terminal; log files and CI get plain text.
    let ansi = std::io::stderr().is_terminal();
    match settings.format {
        LogFormat::Text => registry
            .with(fmt::layer().with_ansi(ansi).with_writer(std::io::stderr))
            .try_init()?,
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init()?,
    }
    Ok(())
}
