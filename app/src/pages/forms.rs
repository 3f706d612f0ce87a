//! `/contact` and `/signup`: forms rendered from their schemas, checked in the browser with the
//! server's rules, and working as plain HTML forms before the wasm has loaded.

use leptos::prelude::*;
use mizan::MizanForm;

use crate::forms::{use_contact_form, use_sign_up_form};

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
