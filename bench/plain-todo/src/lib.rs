//! `examples/todo` written with plain Leptos: a `Resource` over a `#[server]` list, a
//! `ServerAction` that adds, a `#[server]` call that removes, refetching by hand. Only its wasm
//! bundle is built (`scripts/bundle-size.sh`): the baseline mizan's share is measured against.

use leptos::prelude::*;
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};
use serde::{Deserialize, Serialize};

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    /// Its id.
    pub id: i64,
    /// What to do.
    pub title: String,
}

/// Every todo, oldest first.
#[server]
async fn todos() -> Result<Vec<Todo>, ServerFnError> {
    Ok(Vec::new())
}

/// Adds a todo.
#[server]
async fn add_todo(title: String) -> Result<Todo, ServerFnError> {
    Ok(Todo { id: 1, title })
}

/// Removes a todo.
#[server]
async fn remove_todo(id: i64) -> Result<(), ServerFnError> {
    let _ = id;
    Ok(())
}

/// The root component: the routes.
#[component]
pub fn App() -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Router>
            <main data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=|| "Not found">
                    <Route path=StaticSegment("") view=TodoPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// The list and a form to add to it.
#[component]
fn TodoPage() -> impl IntoView {
    let add = ServerAction::<AddTodo>::new();
    let removed = RwSignal::new(0_u32);
    let todos = Resource::new(move || (add.version().get(), removed.get()), |_| todos());
    let title = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    view! {
        <h1>"Todo"</h1>
        <form on:submit=move |event| {
            event.prevent_default();
            add.dispatch(AddTodo { title: title.get() });
        }>
            <input bind:value=title/>
            <button type="submit">"Add"</button>
            <p>{move || error.get()}</p>
        </form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            <ul>
                {move || Suspend::new(async move {
                    match todos.await {
                        Ok(list) => list
                            .into_iter()
                            .map(|todo| {
                                let id = todo.id;
                                let remove = move |_| {
                                    leptos::task::spawn_local(async move {
                                        match remove_todo(id).await {
                                            Ok(()) => removed.update(|n| *n += 1),
                                            Err(failure) => error.set(failure.to_string()),
                                        }
                                    });
                                };
                                view! {
                                    <li>
                                        <span>{todo.title}</span>
                                        <button on:click=remove>"Done"</button>
                                    </li>
                                }
                            })
                            .collect_view()
                            .into_any(),
                        Err(failure) => view! { <li>{failure.to_string()}</li> }.into_any(),
                    }
                })}
            </ul>
        </Transition>
    }
}

/// The browser's entry point.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    hydrate_body(App);
}
