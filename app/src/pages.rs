//! The example app's pages.

use leptos::prelude::*;

use crate::greeting::Greet;

/// `/`: a client-side counter and a server function, the whole SSR → hydrate → call path.
#[component]
pub fn HomePage() -> impl IntoView {
    let clicks = RwSignal::new(0_u32);
    let name = RwSignal::new(String::new());
    let greet = ServerAction::<Greet>::new();

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
                <label>
                    "Your name " <input data-testid="greet-name" maxlength="100" bind:value=name/>
                </label>
                <button data-testid="greet-submit" type="submit" disabled=move || greet.pending().get()>
                    "Greet"
                </button>
            </form>
            <p data-testid="greet-result" aria-live="polite">{result}</p>
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
