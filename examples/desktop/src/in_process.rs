//! The example's server inside this process: the same site as `server`'s binary, on a free
//! loopback port, on a thread and runtime of its own (the window owns the main thread), its
//! settings and SQLite file in the data directory.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::mpsc,
    thread::JoinHandle,
    time::Duration,
};

use leptos::config::LeptosOptions;
use mizan::server::BoundListener;
use mizan_platform::{Settings, connect_database};
use tokio::sync::oneshot;

/// How long the server may take to finish in-flight requests once the window closed.
const STOP_AT_MOST: Duration = Duration::from_secs(5);

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `Leptos.toml` in the data directory, or the environment, is invalid.
    #[error("settings")]
    Settings(#[from] mizan_platform::SettingsError),
    /// The built site (the pages' script and styles) is not where it is looked for.
    #[error(
        "the built site is missing: no pkg/mizan.js in {} (build it with `cargo leptos build \
         --release --split`, or set LEPTOS_SITE_ROOT)",
        looked.iter().map(|dir| dir.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NoSite {
        /// The directories looked in, in order.
        looked: Vec<PathBuf>,
    },
    /// The database could not be opened or migrated.
    #[error("database")]
    Database(#[from] mizan_platform::DatabaseError),
    /// The site could not be built.
    #[error("site")]
    Site(#[from] server::ServerError),
    /// No loopback port.
    #[error("listening")]
    Listen(#[from] mizan::server::ListenError),
    /// The server's thread or runtime could not start.
    #[error("cannot start the server's thread")]
    Thread(#[source] std::io::Error),
    /// The server's thread ended before saying where it listens.
    #[error("the server stopped during its start")]
    Gone,
}

/// The server, running.
pub struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Running {
    /// Where it listens (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it: in-flight requests finish (for at most a few seconds), then its thread ends.
    pub fn stop(self) {
        let _ = self.stop.send(());
        if self.thread.join().is_err() {
            eprintln!("mizan-desktop: the server's thread panicked while stopping");
        }
    }
}

/// The built site: `LEPTOS_SITE_ROOT`, else `site/` beside the executable (a copied folder), else
/// `../share/mizan-desktop/site` from it (the `.deb`: `/usr/bin` → `/usr/share`), else `../site`
/// (`target/release/mizan-desktop` → `target/site`).
fn site_root() -> Result<PathBuf, StartError> {
    if let Some(root) = std::env::var_os("LEPTOS_SITE_ROOT") {
        return Ok(root.into());
    }
    // An executable whose path is unknown looks beside the working directory.
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_owned))
        .unwrap_or_else(|| PathBuf::from("."));
    let looked = vec![
        dir.join("site"),
        dir.join("../share/mizan-desktop/site"),
        dir.join("../site"),
    ];
    match looked
        .iter()
        .find(|candidate| candidate.join("pkg").join("mizan.js").is_file())
    {
        Some(found) => Ok(found.clone()),
        None => Err(StartError::NoSite { looked }),
    }
}

/// Starts the server on `data_dir`; answers once it listens.
pub fn start(data_dir: &Path) -> Result<Running, StartError> {
    let mut settings = Settings::load_in(data_dir, |var| std::env::var(var).ok())?;
    if settings.database.url.is_empty() {
        settings.database.url = format!("sqlite://{}", data_dir.join("mizan.db").display());
    }
    // Before anything logs; a second set-up (a test harness's) is no error here.
    let _ = mizan_platform::init_tracing(&settings.log);
    let options = LeptosOptions::builder()
        .output_name("mizan")
        .site_root(site_root()?.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .build();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("mizan-server")
        .build()
        .map_err(StartError::Thread)?;
    let (started, listening) = mpsc::channel::<Result<SocketAddr, StartError>>();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("mizan-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                let bound = match bind(&settings, options).await {
                    Ok(bound) => bound,
                    Err(error) => {
                        let _ = started.send(Err(error));
                        return;
                    }
                };
                let (router, listener) = bound;
                let _ = started.send(Ok(listener.local_addr()));
                let serving = listener.serve(router, async {
                    let _ = stopped.await;
                });
                if let Err(error) = serving.await {
                    tracing::error!(error = %mizan::error_chain(&error), "the server failed");
                }
            });
            // Sockets still open (the window is gone, so none should be) hold no one up.
            runtime.shutdown_timeout(STOP_AT_MOST);
        })
        .map_err(StartError::Thread)?;
    match listening.recv() {
        Ok(Ok(addr)) => Ok(Running { addr, stop, thread }),
        Ok(Err(error)) => {
            let _ = thread.join();
            Err(error)
        }
        Err(_) => {
            let _ = thread.join();
            Err(StartError::Gone)
        }
    }
}

/// Opens and migrates the database, builds the site, binds a free loopback port.
async fn bind(
    settings: &Settings,
    options: LeptosOptions,
) -> Result<(axum::Router, BoundListener), StartError> {
    let database = connect_database(&settings.database).await?;
    database.migrate(app::migrations()).await?;
    server::apply_demo_users(database.pool(), server::demo_users_from_env())
        .await
        .map_err(StartError::Site)?;
    let router = server::app_router_with(
        settings,
        options,
        database,
        server::demo_options_from_env(),
        server::react_app_dir_from_env(),
    )
    .await?;
    let listener = BoundListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    Ok((router, listener))
}
