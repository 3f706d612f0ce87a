//! `/users/:id`: a user's profile (a local context) and a rename form whose mutation refreshes the
//! profile and the site header, and nothing else; the new name shows at once (an optimistic patch).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::profiles::{
    CurrentUser, UpdateNameArgs, UserProfile, use_current_user, use_update_name, use_user_profile,
};

mizan::compose! {
    /// What the profile page shows: whose profile, and who is looking (to say what they may do).
    pub struct ProfilePageData(user_id: i64) {
        viewer: use_current_user() -> CurrentUser,
        profile: use_user_profile(user_id) -> UserProfile,
    }
}

/// What the viewer may do with this profile.
fn rename_rule(viewer: &CurrentUser, profile: &UserProfile) -> &'static str {
    // The profile carries an email only for its owner and staff, so a match means "you".
    if viewer.email.is_some() && viewer.email == profile.email {
        "This is you: you may rename yourself."
    } else if viewer.is_staff {
        "You are staff: you may rename anyone."
    } else {
        "Only this user or staff may rename them."
    }
}

/// The profile page; its contexts come composed, so a client-side visit fetches them together.
#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    // Not a number: id 0, which no user has, so the page shows NOT_FOUND like any unknown id.
    let user_id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let data = ProfilePageData::provide(user_id);

    let new_name = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    // The profile shows the new name from the click on, as the server will store it (trimmed);
    // a refusal puts the old one back.
    let update_name = use_update_name().optimistic(data.profile, |profile, args| {
        args.name.trim().clone_into(&mut profile.name);
    });
    let rename = Action::new_local(move |(user_id, name): &(i64, String)| {
        let args = UpdateNameArgs {
            user_id: *user_id,
            name: name.clone(),
        };
        async move {
            match update_name.call(args).await {
                Ok(_) => {
                    error.set(String::new());
                    new_name.set(String::new());
                }
                Err(failure) => error.set(failure.to_string()),
            }
        }
    });

    view! {
        <section class="card">
            <Transition fallback=|| view! { <p>"Loading the profile…"</p> }>
                {move || Suspend::new(async move {
                    match data.all().await {
                        Ok((viewer, profile)) => view! {
                            <h1 data-testid="profile-name">{profile.name.clone()}</h1>
                            {profile.email.clone().map(|email| view! {
                                <p data-testid="profile-email">{email}</p>
                            })}
                            <p data-testid="profile-rule">{rename_rule(&viewer, &profile)}</p>
                        }
                        .into_any(),
                        Err(failure) => {
                            // An unknown id is the page's answer: 404 on the server render.
                            mizan::page_status(&failure);
                            view! {
                                <h1>"No such user"</h1>
                                <p data-testid="profile-error">{failure.to_string()}</p>
                            }
                            .into_any()
                        }
                    }
                })}
            </Transition>
            <p class="refreshing" aria-live="polite">
                {move || if data.profile.is_refreshing() { "Refreshing…" } else { "" }}
            </p>
        </section>
        <section class="card">
            <h2>"Rename"</h2>
            <form on:submit=move |event| {
                event.prevent_default();
                rename.dispatch((user_id.get_untracked(), new_name.get_untracked()));
            }>
                <label class="inline-field">
                    "New name"
                    <input data-testid="rename-input" maxlength="100" bind:value=new_name/>
                </label>
                <button data-testid="rename-submit" type="submit" disabled=move || rename.pending().get()>
                    "Rename"
                </button>
            </form>
            <p class="error" data-testid="error-message" role="alert">{move || error.get()}</p>
        </section>
    }
}
