//! Glue between `#[client]`'s generated server_fn endpoints (and in-process calls) and the pipeline.

use http::{HeaderName, StatusCode, request::Parts};
use leptos::prelude::{take_context, use_context};
use leptos_axum::ResponseOptions;
use serde::{Serialize, de::DeserializeOwned};

use super::{
    context::RequestContext,
    http::invalidate_header,
    pipeline::{Outcome, Output},
    registry::FunctionDef,
};
use crate::{
    error::MizanError,
    protocol::{Envelope, INVALIDATE_HEADER, RawArgs},
};

/// Serves a `#[client]` function's own server_fn endpoint: the pipeline, then the envelope, the
/// `X-Mizan-Invalidate` header and the error status set through leptos_axum.
/// `run` is the function's pipeline, the same one its registry entry boxes.
pub async fn serve<F, Fut>(
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
    match result.and_then(data_envelope) {
        Ok(envelope) => {
            if let Some(response) = use_context::<ResponseOptions>()
                && let Some(value) = invalidate_header(&envelope.invalidate)
            {
                response.insert_header(HeaderName::from_static(INVALIDATE_HEADER), value);
            }
            Ok(envelope)
        }
        Err(error) => {
            set_error_status(&error);
            Err(error)
        }
    }
}

/// Calls a function from server code (SSR, another function's body): same pipeline, same checks,
/// as the current request's user when there is one. Keys a nested call invalidates are added to
/// the calling function's own.
pub async fn call_in_process<A: Serialize, O: DeserializeOwned>(
    def: &'static FunctionDef,
    args: &A,
) -> Result<O, MizanError> {
    let args = RawArgs::from_value(args).map_err(|error| {
        tracing::error!(function = def.name, %error, "cannot serialize in-process arguments");
        MizanError::internal()
    })?;
    let outer = super::pipeline::current_call();
    let ctx = match &outer {
        Some(outer) => outer.for_nested_call(),
        None => use_context::<Parts>()
            .map(RequestContext::from_parts)
            .unwrap_or_else(RequestContext::detached),
    };
    let envelope = data_envelope((def.invoke)(ctx, args).await?)?;
    if let Some(outer) = outer {
        for key in &envelope.invalidate {
            outer.push_invalidation(key.clone());
        }
    }
    crate::caller::accept(envelope)
}

fn data_envelope(outcome: Outcome) -> Result<Envelope, MizanError> {
    match outcome.output {
        Output::Data(result) => Ok(Envelope {
            result,
            invalidate: outcome.invalidate,
        }),
        Output::View(_) => Err(MizanError::not_implemented(
            "view functions answer at their own route, not as data",
        )),
    }
}

/// Sets the HTTP status of the server_fn response being built to the error's status.
pub(crate) fn set_error_status(error: &MizanError) {
    if let (Some(response), Ok(status)) = (
        use_context::<ResponseOptions>(),
        StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
}
