//! The page benchmark: a profile page server-rendered with its two contexts (mizan hooks), and
//! the same markup with the same queries through raw `#[server]` functions and `Resource`s.

use leptos::prelude::*;
use leptos_router::{
    ParamSegment, StaticSegment,
    components::{Route, Router, Routes},
    hooks::use_params_map,
};
use mizan::{MizanContext, MizanError, client};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use mizan::server::RequestContext;

/// Who is looking (nobody signs in during the benchmark, on either page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Viewer {
    /// Whether someone is signed in.
    pub is_authenticated: bool,
    /// Their name, when signed in.
    pub name: Option<String>,
}

/// A profile row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Profile {
    /// Id.
    pub user_id: i64,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
}

/// Creates the users table the pages read, with two rows.
#[cfg(feature = "ssr")]
pub async fn seed(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, \
         email TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT OR REPLACE INTO users (id, name, email) VALUES \
         (1, 'Alice', 'alice@example.com'), (2, 'Admin', 'admin@example.com')",
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(feature = "ssr")]
async fn load_profile(
    pool: &sqlx::SqlitePool,
    user_id: i64,
) -> Result<Option<Profile>, sqlx::Error> {
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, email FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(user_id, name, email)| Profile {
        user_id,
        name,
        email,
    }))
}

/// mizan: the global context.
#[client(context = global)]
pub async fn bench_viewer(ctx: RequestContext) -> Result<Viewer, MizanError> {
    Ok(Viewer {
        is_authenticated: ctx.user().is_some(),
        name: None,
    })
}

/// mizan: the local context.
#[client(context = local)]
pub async fn bench_profile(ctx: RequestContext, user_id: i64) -> Result<Profile, MizanError> {
    let pool = ctx.require::<sqlx::SqlitePool>()?;
    load_profile(&pool, user_id)
        .await
        .map_err(|_| MizanError::internal())?
        .ok_or_else(|| MizanError::not_found("no such user"))
}

/// Baseline: the viewer through a raw server function.
#[server(prefix = "/bench", endpoint = "plain_viewer")]
pub async fn plain_viewer() -> Result<Viewer, ServerFnError> {
    Ok(Viewer {
        is_authenticated: false,
        name: None,
    })
}

/// Baseline: the profile through a raw server function.
#[server(prefix = "/bench", endpoint = "plain_profile")]
pub async fn plain_profile(
    /// Whose profile.
    user_id: i64,
) -> Result<Profile, ServerFnError> {
    let pool = use_context::<sqlx::SqlitePool>()
        .ok_or_else(|| ServerFnError::new("no database pool in context"))?;
    load_profile(&pool, user_id)
        .await
        .map_err(|error| ServerFnError::new(error.to_string()))?
        .ok_or_else(|| ServerFnError::new("no such user"))
}

/// The document both pages render in.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <HydrationScripts options/>
            </head>
            <body>
                <BenchApp/>
            </body>
        </html>
    }
}

/// Both pages' routes.
#[component]
pub fn BenchApp() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=|| "not found">
                <Route path=(StaticSegment("users"), ParamSegment("id")) view=MizanProfilePage/>
                <Route
                    path=(StaticSegment("plain"), StaticSegment("users"), ParamSegment("id"))
                    view=PlainProfilePage
                />
            </Routes>
        </Router>
    }
}

fn user_id_param() -> Memo<i64> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .unwrap_or(0)
    })
}

fn viewer_text(viewer: Result<Viewer, String>) -> String {
    match viewer {
        Ok(viewer) if viewer.is_authenticated => {
            format!("Signed in as {}", viewer.name.unwrap_or_default())
        }
        Ok(_) => "Not signed in".to_owned(),
        Err(error) => error,
    }
}

fn profile_view(profile: Result<Profile, String>) -> AnyView {
    match profile {
        Ok(profile) => view! {
            <h1 data-testid="profile-name">{profile.name}</h1>
            <p data-testid="profile-email">{profile.email}</p>
        }
        .into_any(),
        Err(error) => view! { <p data-testid="profile-error">{error}</p> }.into_any(),
    }
}

/// The markup both pages share, around whatever loads the two values.
fn page<H, P>(header: H, profile: P) -> impl IntoView
where
    H: IntoView + Clone + Send + Sync + 'static,
    P: IntoView + Clone + Send + Sync + 'static,
{
    view! {
        <header>
            <span data-testid="current-user">
                <Transition fallback=|| "…">{header.clone()}</Transition>
            </span>
        </header>
        <main>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{profile.clone()}</Transition>
        </main>
    }
}

/// `/users/:id` with mizan contexts.
#[component]
fn MizanProfilePage() -> impl IntoView {
    view! {
        <MizanContext>
            {
                let user_id = user_id_param();
                let viewer = use_bench_viewer();
                let profile = use_bench_profile(user_id);
                page(
                    move || Suspend::new(async move {
                        viewer_text(viewer.await.map_err(|e| e.to_string()))
                    }),
                    move || Suspend::new(async move {
                        profile_view(profile.await.map_err(|e| e.to_string()))
                    }),
                )
            }
        </MizanContext>
    }
}

/// `/plain/users/:id` with raw server functions and resources.
#[component]
fn PlainProfilePage() -> impl IntoView {
    let user_id = user_id_param();
    let viewer = Resource::new(|| (), |()| plain_viewer());
    let profile = Resource::new(move || user_id.get(), plain_profile);
    page(
        move || Suspend::new(async move { viewer_text(viewer.await.map_err(|e| e.to_string())) }),
        move || Suspend::new(async move { profile_view(profile.await.map_err(|e| e.to_string())) }),
    )
}
