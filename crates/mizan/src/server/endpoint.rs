//! The entry points generated code calls: a function's own server_fn endpoint, and in-process
//! calls from server code (page renders, other functions' bodies).

use std::sync::{Arc, OnceLock};

use http::request::Parts;
use leptos::prelude::{take_context, use_context, with_context};
use leptos_axum::ResponseOptions;
use serde::Serialize;

use super::{
    context::RequestContext,
    outcome::Outcome,
    pipeline::{current_call, execute_typed},
    registry::FunctionDef,
    response::{public_cache_rule, set_error_status, set_invalidate_header},
};
use crate::{
    error::MizanError,
    protocol::{Envelope, RawArgs},
    validation::ValidateArgs,
};

/// Serves a `#[client]` function's own server_fn endpoint: the pipeline, then the envelope, the
/// `X-Mizan-Invalidate` header, a `public` context's cache rule and the error status set through
/// leptos_axum.
/// `run` is the function's pipeline, the same one its registry entry boxes.
pub async fn serve_endpoint<F, Fut>(
    def: &'static FunctionDef,
    args: RawArgs,
    run: F,
) -> Result<Envelope, MizanError>
where
    F: FnOnce(RequestContext, RawArgs) -> Fut,
    Fut: Future<Output = Result<Outcome, MizanError>>,
{
    // The request parts move into the call's context rather than being copied: the function
    // reaches them through its `RequestContext`.
    let result = match take_context::<Parts>() {
        Some(parts) => run(RequestContext::from_parts(parts), args).await,
        None => {
            tracing::error!(
                function = def.name,
                "server_fn endpoint ran without request parts"
            );
            Err(MizanError::internal())
        }
    };
    match result.and_then(Outcome::into_envelope) {
        Ok(envelope) => {
            set_invalidate_header(&envelope.invalidate);
            // As on `/api/mizan/call/`: only a `public` context's answer may be shared.
            if def.public
                && let Some(response) = use_context::<ResponseOptions>()
            {
                response.insert_header(http::header::CACHE_CONTROL, public_cache_rule());
            }
            Ok(envelope)
        }
        Err(error) => {
            set_error_status(&error);
            Err(error)
        }
    }
}

/// Calls a function from server code (SSR, another function's body): the same checks as a
/// remote call, without the JSON round trip. `body` is the function's own body.
///
/// Inside a function body the call runs as that call's user and its keys are added to the
/// caller's. During SSR every call of one request shares one context, so the user is resolved
/// once per page; the keys are dropped (no client is listening to a page being rendered).
pub async fn call_in_process<A, T, F, Fut>(
    def: &'static FunctionDef,
    args: A,
    body: F,
) -> Result<T, MizanError>
where
    A: Serialize + ValidateArgs,
    F: FnOnce(RequestContext, A) -> Fut,
    Fut: Future<Output = Result<T, MizanError>>,
{
    match current_call() {
        Some(outer) => {
            let (output, keys) = execute_typed(def, outer.for_nested_call(), args, body).await?;
            for key in keys {
                outer.push_invalidation(key);
            }
            Ok(output)
        }
        None => execute_typed(def, page_context(), args, body)
            .await
            .map(|(output, _)| output),
    }
}

/// Where the in-process calls of one page render find their shared context: `admit` puts an
/// empty slot in every `GET` request, Leptos hands the request parts to the render, and the first
/// call fills the slot.
#[derive(Clone, Default)]
pub(crate) struct PageSlot(Arc<OnceLock<RequestContext>>);

/// The request context shared by the in-process calls of the page being rendered; a fresh one
/// per call when the router was not wrapped, detached outside any request.
fn page_context() -> RequestContext {
    let found = with_context::<Parts, _>(|parts| {
        let create = || {
            let mut extensions = parts.extensions.clone();
            // The context must not hold its own slot: that would be a reference cycle.
            extensions.remove::<PageSlot>();
            RequestContext::new(parts.headers.clone(), extensions)
        };
        match parts.extensions.get::<PageSlot>() {
            Some(slot) => slot.0.get_or_init(create).clone(),
            None => create(),
        }
    });
    found.unwrap_or_else(RequestContext::detached)
}
