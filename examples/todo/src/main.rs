//! The todo app's server: `cargo leptos watch` runs it.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `todo export manifest --out FILE`, without a database.
    if let Some(exit) = mizan::server::export::from_args() {
        return exit;
    }
    match serve().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("todo: {}", mizan::error_chain(&*error));
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "ssr")]
async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    use leptos::prelude::*;

    let options = get_configuration(None)?.leptos_options;
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://todo.db".into());
    let database = url.parse::<sqlx::sqlite::SqliteConnectOptions>()?;
    let pool = sqlx::SqlitePool::connect_with(database.create_if_missing(true)).await?;
    sqlx::migrate!().run(&pool).await?;
    mizan::server::Site::new(options, todo::App, todo::shell)
        .state(pool)
        .serve()
        .await?;
    Ok(())
}

#[cfg(not(feature = "ssr"))]
fn main() {}
