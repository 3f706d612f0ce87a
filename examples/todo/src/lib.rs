//! A todo list on mizan: one context (the list), two mutations that declare they affect it, and
//! a page that shows the list and adds to it. The code of `docs/getting-started.md`.

use leptos::prelude::*;
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};
#[cfg(feature = "ssr")]
use mizan::RequestContext;
use mizan::{MizanContext, MizanError, client};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Todo {
    /// Its id.
    pub id: i64,
    /// What to do.
    pub title: String,
}

/// Every todo, oldest first: a context, rendered on the server and kept live in the browser.
#[client(context = global)]
pub async fn todos(ctx: RequestContext) -> Result<Vec<Todo>, MizanError> {
    let pool = ctx.require::<sqlx::SqlitePool>()?;
    sqlx::query_as("SELECT id, title FROM todos ORDER BY id")
        .fetch_all(&pool)
        .await
        .map_err(database_error)
}

/// Adds a todo; every page showing `todos` refreshes.
#[client(affects = [todos])]
pub async fn add_todo(
    ctx: RequestContext,
    /// What to do.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    title: String,
) -> Result<Todo, MizanError> {
    // The length rule counts spaces: a title of spaces alone is refused here, not stored empty.
    let title = title.trim();
    if title.is_empty() {
        return Err(MizanError::invalid_field("title", "must not be blank"));
    }
    let pool = ctx.require::<sqlx::SqlitePool>()?;
    sqlx::query_as("INSERT INTO todos (title) VALUES (?) RETURNING id, title")
        .bind(title)
        .fetch_one(&pool)
        .await
        .map_err(database_error)
}

/// Removes a todo; every page showing `todos` refreshes.
#[client(affects = [todos])]
pub async fn remove_todo(ctx: RequestContext, id: i64) -> Result<(), MizanError> {
    let pool = ctx.require::<sqlx::SqlitePool>()?;
    let removed = sqlx::query("DELETE FROM todos WHERE id = ?")
        .bind(id)
        .execute(&pool)
        .await
        .map_err(database_error)?
        .rows_affected();
    if removed == 0 {
        return Err(MizanError::not_found(format!("no todo {id}")));
    }
    Ok(())
}

/// A database failure: logged on the server, a generic `INTERNAL_ERROR` to the caller.
#[cfg(feature = "ssr")]
fn database_error(error: sqlx::Error) -> MizanError {
    leptos::logging::error!("database: {error}");
    MizanError::internal()
}

/// The HTML document around [`App`], rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // No icon yet: without this line browsers ask for /favicon.ico (a 404).
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: mizan's provider around the routes.
#[component]
pub fn App() -> impl IntoView {
    // Effects run only in the browser: the page says when it became interactive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <MizanContext>
            <Router>
                <main data-hydrated=move || hydrated.get().to_string()>
                    <Routes fallback=|| "Not found">
                        <Route path=StaticSegment("") view=TodoPage/>
                    </Routes>
                </main>
            </Router>
        </MizanContext>
    }
}

/// The list and a form to add to it.
#[component]
fn TodoPage() -> impl IntoView {
    let todos = use_todos();
    // Optimistic patches: the list changes at once, the server's own list replaces the patch
    // when it arrives, and a refused call puts the list back.
    let add = use_add_todo().optimistic(todos, |list, args| {
        let title = args.title.trim();
        if !title.is_empty() {
            // No id yet: the server gives one, with the list it sends next.
            list.push(Todo {
                id: 0,
                title: title.to_owned(),
            });
        }
    });
    let remove = use_remove_todo().optimistic(todos, |list, args| {
        list.retain(|todo| todo.id != args.id);
    });
    let title = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    let submit = Action::new_local(move |text: &String| {
        let args = AddTodoArgs {
            title: text.clone(),
        };
        async move {
            match add.call(args).await {
                Ok(_) => {
                    title.set(String::new());
                    error.set(String::new());
                }
                Err(failure) => error.set(failure.message),
            }
        }
    });
    view! {
        <h1>"Todo"</h1>
        <form on:submit=move |event| {
            event.prevent_default();
            submit.dispatch(title.get());
        }>
            <input data-testid="todo-title" bind:value=title/>
            <button data-testid="todo-add" type="submit">"Add"</button>
            <p data-testid="todo-error">{move || error.get()}</p>
        </form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            <ul data-testid="todo-list">
                {move || Suspend::new(async move {
                    match todos.await {
                        Ok(list) => list
                            .into_iter()
                            .map(|todo| {
                                let id = todo.id;
                                let done = move |_| {
                                    leptos::task::spawn_local(async move {
                                        let args = RemoveTodoArgs { id };
                                        if let Err(failure) = remove.call(args).await {
                                            error.set(failure.message);
                                        }
                                    });
                                };
                                // A todo the server has not stored yet cannot be removed.
                                view! {
                                    <li data-testid="todo-item">
                                        <span>{todo.title}</span>
                                        <button on:click=done disabled={id == 0}>"Done"</button>
                                    </li>
                                }
                            })
                            .collect_view()
                            .into_any(),
                        Err(failure) => view! { <li>{failure.message}</li> }.into_any(),
                    }
                })}
            </ul>
        </Transition>
    }
}

/// The browser's entry point: cargo-leptos' generated script calls it on page load.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    hydrate_body(App);
}
