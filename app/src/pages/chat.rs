//! `/chat/:room`: the chat channel in Leptos. Signed-in visitors hear the room and say things;
//! anyone else sees the channel's refusal when sending.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::chat::{ChatChannel, ChatRoom, ChatSay};

/// The room's page: its status, what was said since the page opened, and a line to say more.
#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    let room = Signal::derive(move || ChatRoom {
        room: params.read().get("room").unwrap_or_default(),
    });
    let chat = mizan::use_channel::<ChatChannel>(room);
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let say = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let message = ChatSay {
            text: text.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match chat.send(message).await {
                Ok(()) => {
                    text.set(String::new());
                    error.set(String::new());
                }
                Err(failure) => error.set(failure.to_string()),
            }
        });
    };
    view! {
        <section class="card">
            <h1>"Chat: " {move || room.get().room}</h1>
            <p data-testid="chat-status">{move || chat.status().as_str()}</p>
            <ul class="chat-messages" data-testid="chat-messages">
                {move || {
                    chat.messages()
                        .into_iter()
                        .map(|line| {
                            view! {
                                <li data-testid="chat-message">
                                    <b>{line.user}</b>": "{line.text}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <form on:submit=say>
                <label class="inline-field">
                    "Message" <input data-testid="chat-input" maxlength="500" bind:value=text/>
                </label>
                <button data-testid="chat-send" type="submit">"Send"</button>
            </form>
            <p class="error" data-testid="error-message" role="alert">{move || error.get()}</p>
        </section>
    }
}
