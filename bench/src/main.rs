//! The benchmark server: serves the echo paths and the profile pages on the address given as the
//! first argument (default `127.0.0.1:0`) and prints the bound address on its first line of
//! stdout. A second argument `full` wraps them in the example server's stack (sessions, request
//! trace, logging at `info` to stderr, or `RUST_LOG`); without it only mizan's own layer. With
//! `REDIS_URL` or `MIZAN_BROKER=postgres` (and `DATABASE_URL` naming that PostgreSQL database) it
//! is one node of several, linked by that broker, as the example's server reads them.

use std::{net::SocketAddr, process::ExitCode};

use mizan::server::BoundListener;

#[tokio::main]
async fn main() -> ExitCode {
    let addr: SocketAddr = match std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into())
        .parse()
    {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("bench: the address argument is invalid: {error}");
            return ExitCode::FAILURE;
        }
    };
    let stack = match std::env::args().nth(2).as_deref() {
        None | Some("bare") => bench::Stack::Bare,
        Some("full") => bench::Stack::Full,
        Some(other) => {
            eprintln!("bench: the stack is `bare` or `full`, not `{other}`");
            return ExitCode::FAILURE;
        }
    };
    // The example server's settings: its `Leptos.toml` (the script runs from the repository
    // root) and environment, as the example's server reads them.
    let settings = match mizan_platform::Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("bench: {}", mizan::error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    if stack == bench::Stack::Full
        && let Err(error) = mizan_platform::init_tracing(&settings.log)
    {
        eprintln!("bench: {}", mizan::error_chain(&error));
        return ExitCode::FAILURE;
    }
    // The pages read a SQLite file of their own, removed when the process ends.
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("bench: cannot create a temporary directory: {error}");
            return ExitCode::FAILURE;
        }
    };
    let database = mizan_platform::settings::DatabaseSettings {
        url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        max_connections: 8,
    };
    // The bench's pages and sessions read SQLite through its own driver, as before PostgreSQL.
    let database = match mizan_platform::connect_database(&database).await {
        Ok(database) => database,
        Err(error) => {
            eprintln!("bench: {}", mizan::error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    let Some(pool) = database.sqlite().cloned() else {
        eprintln!("bench: the bench database must be a SQLite file");
        return ExitCode::FAILURE;
    };
    // The PostgreSQL broker runs on the database the settings name; the pages stay on SQLite.
    let broker_database = if settings.broker.kind == mizan_platform::settings::BrokerKind::Postgres
    {
        match mizan_platform::connect_database(&settings.database).await {
            Ok(database) => database,
            Err(error) => {
                eprintln!("bench: {}", mizan::error_chain(&error));
                return ExitCode::FAILURE;
            }
        }
    } else {
        database
    };
    let broker = match mizan_platform::connect_broker(&settings.broker, &broker_database).await {
        Ok(broker) => broker,
        Err(error) => {
            eprintln!("bench: {}", mizan::error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = bench::pages::seed(&pool).await {
        eprintln!("bench: cannot seed the database: {error}");
        return ExitCode::FAILURE;
    }
    let router = match bench::router(pool, stack, broker).await {
        Ok(router) => router,
        Err(error) => {
            eprintln!("bench: {}", mizan::error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    let listener = match BoundListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("bench: {}", mizan::error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    println!("{}", listener.local_addr());
    match listener
        .serve(router, mizan::server::shutdown_signal())
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {}", mizan::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
