//! The example app's pages.

mod chat;
mod forms;
mod header;
mod users;

use leptos::prelude::*;

pub use chat::ChatPage;
pub use forms::{ChangePasswordPage, ContactPage, LogInPage, SignUpPage};
pub use header::SiteHeader;
pub use users::UserPage;

/// Routes whose page is its own piece of the wasm bundle (`cargo leptos --split`): the browser
/// loads a page's code the first time it shows that page, so the home page does not carry the
/// chat's or the forms' code. Each is `Lazy::<Route>::new()` in the router.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $route:ident => $page:ident;)*) => {$(
        $(#[$doc])*
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    /// `/chat/:room`, loaded with its page.
    ChatRoute => ChatPage;
    /// `/contact`, loaded with its page.
    ContactRoute => ContactPage;
    /// `/signup`, loaded with its page.
    SignUpRoute => SignUpPage;
    /// `/login`, loaded with its page.
    LogInRoute => LogInPage;
    /// `/password`, loaded with its page.
    ChangePasswordRoute => ChangePasswordPage;
    /// `/users/:id`, loaded with its page.
    UserRoute => UserPage;
}

use mizan::MizanError;

use crate::{
    accounts::{LOGOUT_REDIRECT_PATH, login, whoami},
    demo::echo,
    greeting::Greet,
    profiles::{use_current_user, use_site_stats},
};

/// `/`: a client-side counter and a server function, the whole SSR → hydrate → call path.
#[component]
pub fn HomePage() -> impl IntoView {
    let clicks = RwSignal::new(0_u32);
    let name = RwSignal::new(String::new());
    let greet = ServerAction::<Greet>::new();
    let stats = use_site_stats();

    let result = move || match greet.value().get() {
        None => String::new(),
        Some(Ok(greeting)) => format!(
            "{} ({} greeting{} so far)",
            greeting.message,
            greeting.total,
            if greeting.total == 1 { "" } else { "s" }
        ),
        Some(Err(error)) => format!("Error: {error}"),
    };

    view! {
        <h1>"mizan for Leptos"</h1>
        <p class="lede">
            "Write an async fn once; call it from Leptos and React; let the server say what changed."
        </p>
        <p data-testid="site-stats">
            <Transition fallback=|| "…">
                {move || Suspend::new(async move {
                    match stats.await {
                        Ok(stats) => format!("{} accounts", stats.accounts),
                        Err(failure) => failure.to_string(),
                    }
                })}
            </Transition>
        </p>
        <section class="card">
            <h2>"Hydration"</h2>
            <button data-testid="counter" on:click=move |_| clicks.update(|n| *n += 1)>
                {move || match clicks.get() {
                    1 => "Clicked 1 time".to_owned(),
                    n => format!("Clicked {n} times"),
                }}
            </button>
        </section>
        <section class="card">
            <h2>"A server function"</h2>
            <form on:submit=move |event| {
                event.prevent_default();
                greet.dispatch(Greet { name: name.get() });
            }>
                <label class="inline-field">
                    "Your name" <input data-testid="greet-name" maxlength="100" bind:value=name/>
                </label>
                <button data-testid="greet-submit" type="submit" disabled=move || greet.pending().get()>
                    "Greet"
                </button>
            </form>
            <p data-testid="greet-result" aria-live="polite">{result}</p>
        </section>
        <MizanFunctions/>
    }
}

/// `#[client]` functions in use: echo, sign-in, an `auth` function, typed errors.
#[component]
fn MizanFunctions() -> impl IntoView {
    // The last failed call's `CODE: message`, whichever form made it.
    let error = RwSignal::new(String::new());
    let report = move |result: &Result<(), MizanError>| match result {
        Ok(()) => error.set(String::new()),
        Err(failure) => error.set(failure.to_string()),
    };

    let text = RwSignal::new(String::new());
    let echoed = RwSignal::new(String::new());
    let echo_action = Action::new(move |text: &String| {
        let text = text.clone();
        async move {
            let result = echo(text).await;
            if let Ok(output) = &result {
                echoed.set(output.message.clone());
            }
            result.map(|_| ())
        }
    });

    // In the desktop app, the native open-file dialog feeds the same `echo` function: the file's
    // text is the argument, held to the same 200-character rule. The button is in every page but
    // shown only in the desktop app (its script marks `<html data-mizan-desktop>`): no reactive
    // code, which would cost this page's wasm more than the bridge itself.
    let echo_file = move |_| {
        leptos::task::spawn_local(async move {
            match crate::desktop::open_text_file().await {
                Ok(Some(file)) => {
                    echo_action.dispatch(file.text);
                }
                Ok(None) => error.set(String::new()),
                Err(failure) => error.set(failure.to_string()),
            }
        });
    };

    // Who is signed in comes from the `current_user` context, like the site header: sign-in and
    // sign-out refresh it. "Who am I?" shows what the `auth` function itself answered.
    let user = use_current_user();
    let answered = RwSignal::new(String::new());
    let whoami_action = Action::new(move |_: &()| async move {
        let result = whoami().await;
        answered.set(match &result {
            Ok(me) => format!("whoami answered {}", me.email),
            Err(_) => String::new(),
        });
        result.map(|_| ())
    });
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login_action = Action::new(move |(email, password): &(String, String)| {
        let (email, password) = (email.clone(), password.clone());
        async move { login(email, password).await.map(|_| ()) }
    });

    Effect::new(move |_| {
        for action in [
            echo_action.value(),
            login_action.value(),
            whoami_action.value(),
        ] {
            if let Some(result) = action.get() {
                report(&result);
            }
        }
    });

    view! {
        <section class="card">
            <h2>"#[client] functions"</h2>
            <form on:submit=move |event| {
                event.prevent_default();
                echo_action.dispatch(text.get());
            }>
                <label class="inline-field">"Echo" <input data-testid="echo-input" bind:value=text/></label>
                <button data-testid="echo-submit" type="submit">"Send"</button>
            </form>
            <p class="desktop-only">
                <button data-testid="echo-file" type="button" on:click=echo_file>
                    "Echo a file…"
                </button>
                " a text file chosen in the desktop app's own dialog"
            </p>
            <p data-testid="echo-result">{move || echoed.get()}</p>

            <form on:submit=move |event| {
                event.prevent_default();
                login_action.dispatch((email.get(), password.get()));
            }>
                <label class="inline-field">
                    "Email" <input data-testid="login-email" type="email" bind:value=email/>
                </label>
                <label class="inline-field">
                    "Password"
                    <input data-testid="login-password" type="password" bind:value=password/>
                </label>
                <button data-testid="login-submit" type="submit">"Sign in"</button>
            </form>
            <p>
                <span data-testid="whoami">
                    <Transition fallback=|| "…">
                        {move || Suspend::new(async move {
                            match user.await {
                                Ok(user) => match (user.email, user.is_staff) {
                                    (Some(email), true) => format!("Signed in as {email} (staff)"),
                                    (Some(email), false) => format!("Signed in as {email}"),
                                    (None, _) => "Not signed in".to_owned(),
                                },
                                Err(failure) => failure.to_string(),
                            }
                        })}
                    </Transition>
                </span>
                " "
                <button data-testid="whoami-submit" on:click=move |_| {
                    whoami_action.dispatch(());
                }>"Who am I?"</button>
                " "
                <span data-testid="whoami-result">{move || answered.get()}</span>
            </p>
            <form method="post" action=LOGOUT_REDIRECT_PATH>
                <button data-testid="logout-submit" type="submit">"Sign out"</button>
            </form>
            <p class="error" data-testid="error-message" role="alert">{move || error.get()}</p>
        </section>
    }
}

/// Any path no route matches: a 404 page (and a 404 status during SSR).
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <h1>"Not found"</h1>
        <p>"No page lives at this address. " <a href="/">"Go home"</a></p>
    }
}
