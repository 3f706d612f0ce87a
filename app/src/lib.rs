//! The example app of mizan for Leptos: its pages, its server functions and its migrations.
//!
//! Compiled twice: with `ssr` into the server binary, with `hydrate` into the wasm bundle.

pub mod accounts;
pub mod chat;
pub mod demo;
pub mod desktop;
pub mod forms;
pub mod greeting;
pub mod pages;
pub mod profiles;
#[cfg(feature = "ssr")]
pub mod users;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};
use mizan::MizanContext;

/// The app's database migrations on SQLite.
#[cfg(feature = "ssr")]
pub static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The app's database migrations on PostgreSQL: the same schema in its dialect.
#[cfg(feature = "ssr")]
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The app's migrations for either engine, run by the server at start.
#[cfg(feature = "ssr")]
pub fn migrations() -> mizan_platform::Migrations<'static> {
    mizan_platform::Migrations {
        sqlite: &SQLITE_MIGRATOR,
        postgres: &POSTGRES_MIGRATOR,
    }
}

/// The HTML document around [`App`], rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // An empty icon: browsers would otherwise request /favicon.ico on every page.
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: metadata, stylesheet, the contexts provider, header and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Effects never run on the server, so this flips only once the wasm bundle has hydrated the
    // page; tests and people can both see when the page became interactive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/mizan.css"/>
        <Title text="mizan for Leptos"/>
        <MizanContext>
            <Router>
                <pages::SiteHeader/>
                <main data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
                    <Routes fallback=pages::NotFound>
                        <Route path=StaticSegment("") view=pages::HomePage/>
                        // Rendered whole before answering, so an unknown user is a 404.
                        <Route path=StaticSegment("contact") view={Lazy::<pages::ContactRoute>::new()}/>
                        <Route path=StaticSegment("signup") view={Lazy::<pages::SignUpRoute>::new()}/>
                        <Route path=StaticSegment("login") view={Lazy::<pages::LogInRoute>::new()}/>
                        <Route path=StaticSegment("password") view={Lazy::<pages::ChangePasswordRoute>::new()}/>
                        <Route
                            path=(StaticSegment("chat"), ParamSegment("room"))
                            view={Lazy::<pages::ChatRoute>::new()}
                        />
                        <Route
                            path=(StaticSegment("users"), ParamSegment("id"))
                            view={Lazy::<pages::UserRoute>::new()}
                            ssr=SsrMode::Async
                        />
                    </Routes>
                </main>
            </Router>
        </MizanContext>
    }
}
