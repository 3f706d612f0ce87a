//! `mizan-desktop`: the example app in a native window. Its server starts in-process on a free
//! loopback port, with its SQLite file in the user's data directory; a WebKitGTK view (wry over a
//! tao window) shows its pages, so contexts, forms, chat and pushed invalidations work as in a
//! browser. Closing the window stops the server.
//!
//! `mizan-desktop [--data-dir DIR]`, or `mizan-desktop --self-test --data-dir DIR [--screenshot
//! FILE]`

mod bridge;
mod in_process;
mod instance;
mod window;

use std::{path::PathBuf, process::ExitCode};

/// What the command line asks.
struct Args {
    data_dir: Option<PathBuf>,
    self_test: bool,
    screenshot: Option<PathBuf>,
}

const USAGE: &str =
    "usage: mizan-desktop [--data-dir DIR] | --self-test --data-dir DIR [--screenshot FILE]";

fn args() -> Result<Args, String> {
    let mut args = Args {
        data_dir: None,
        self_test: false,
        screenshot: None,
    };
    let mut given = std::env::args_os().skip(1);
    while let Some(arg) = given.next() {
        match arg.to_str() {
            Some("--data-dir") => {
                args.data_dir = Some(given.next().ok_or("--data-dir needs a directory")?.into());
            }
            Some("--self-test") => args.self_test = true,
            Some("--screenshot") => {
                args.screenshot = Some(given.next().ok_or("--screenshot needs a file")?.into());
            }
            _ => return Err(format!("unknown argument `{}`", arg.to_string_lossy())),
        }
    }
    if args.screenshot.is_some() && !args.self_test {
        return Err("--screenshot goes with --self-test".into());
    }
    // The self-test writes a file of its own and its database into the directory: never the
    // user's own one.
    if args.self_test && args.data_dir.is_none() {
        return Err("--self-test needs --data-dir (a throwaway directory)".into());
    }
    Ok(args)
}

/// Why the app could not run.
#[derive(Debug, thiserror::Error)]
enum DesktopError {
    /// No data directory: the user's home is unknown and `--data-dir` was not given.
    #[error("cannot tell where this user's data goes: pass --data-dir DIR")]
    NoDataDir,
    /// The data directory cannot be created.
    #[error("cannot create the data directory {}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The self-test's file (the one its dialog opens) cannot be written.
    #[error("cannot write the self-test's file {}", path.display())]
    SelfTestFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Another instance runs on this data directory.
    #[error(transparent)]
    Instance(#[from] instance::InstanceError),
    /// The in-process server did not start.
    #[error(transparent)]
    Server(Box<in_process::StartError>),
    /// The window could not be opened.
    #[error(transparent)]
    Window(#[from] window::WindowError),
}

fn run(args: Args) -> Result<ExitCode, DesktopError> {
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => directories::ProjectDirs::from("org", "mizan", "mizan-desktop")
            .ok_or(DesktopError::NoDataDir)?
            .data_dir()
            .to_owned(),
    };
    std::fs::create_dir_all(&data_dir).map_err(|source| DesktopError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let _instance = instance::Lock::take(&data_dir)?;
    window::start_gtk()?;
    let sample = data_dir.join("self-test.txt");
    let mode = if args.self_test {
        std::fs::write(&sample, window::SELF_TEST_FILE_TEXT).map_err(|source| {
            DesktopError::SelfTestFile {
                path: sample.clone(),
                source,
            }
        })?;
        window::Mode::SelfTest {
            file: &sample,
            screenshot: args.screenshot.as_deref(),
        }
    } else {
        window::Mode::Interactive
    };
    let server =
        in_process::start(&data_dir).map_err(|error| DesktopError::Server(Box::new(error)))?;
    let outcome = window::open(server.addr(), &mode);
    // The window is closed: the server stops before the process ends, whatever the window did.
    server.stop();
    Ok(outcome?)
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("mizan-desktop: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("mizan-desktop: {}", mizan::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
