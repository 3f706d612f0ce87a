//! `/contact`, `/signup`, `/login` and `/password`: forms rendered from their schemas, checked in
//! the browser with the server's rules, and working as plain HTML forms before the wasm has
//! loaded.

use leptos::prelude::*;
use mizan::MizanForm;

use crate::forms::{use_change_password_form, use_contact_form, use_log_in_form, use_sign_up_form};

/// `/contact`: the contact form; messages are stored in SQLite.
#[component]
pub fn ContactPage() -> impl IntoView {
    let form = use_contact_form();
    view! { <MizanForm form/> }
}

/// `/signup`: a new account, signed in at once; a registered email is refused by the server,
/// under its field.
#[component]
pub fn SignUpPage() -> impl IntoView {
    let form = use_sign_up_form();
    view! { <MizanForm form/> }
}

/// `/login`: signs in, then goes to `/`; a wrong email or password is one message for the form.
#[component]
pub fn LogInPage() -> impl IntoView {
    let form = use_log_in_form();
    view! { <MizanForm form/> }
}

/// `/password`: the signed-in user's new password, typed twice (the second must match, checked
/// in the browser and by the server).
#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let form = use_change_password_form();
    view! { <MizanForm form/> }
}
