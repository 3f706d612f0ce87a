//! The site header: navigation and the visitor from the `current_user` global context.

use leptos::prelude::*;

use crate::profiles::use_current_user;

/// Shown on every page; refreshed without a reload when a call invalidates `current_user`.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let user = use_current_user();
    view! {
        <header class="site-header">
            <nav>
                <a href="/">"Home"</a>
                <a href="/users/1">"Alice"</a>
                <a href="/users/2">"Admin"</a>
                <a href="/chat/general">"Chat"</a>
                <a href="/contact">"Contact"</a>
                <a href="/signup">"Sign up"</a>
                <a href="/login">"Log in"</a>
            </nav>
            <span data-testid="current-user">
                <Transition fallback=|| "…">
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(user) if user.is_authenticated => format!(
                                "Signed in as {}{}",
                                user.name.unwrap_or_default(),
                                if user.is_staff { " (staff)" } else { "" }
                            ),
                            Ok(_) => "Not signed in".to_owned(),
                            Err(failure) => failure.to_string(),
                        }
                    })}
                </Transition>
            </span>
        </header>
    }
}
