//! Glue between `#[client]`'s generated server_fn endpoints (and in-process calls) and the pipeline.

use http::{HeaderName, HeaderValue, StatusCode, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use serde::{Serialize, de::DeserializeOwned};

use super::{
    context::RequestContext,
    pipeline::{Outcome, Output},
    registry::FunctionDef,
};
use crate::{
    error::MizanError,
    protocol::{Envelope, INVALIDATE_HEADER, RawArgs, invalidate_header_value},
};

/// Serves a `#[client]` function's own server_fn endpoint: the pipeline, then the envelope, the
/// `X-Mizan-Invalidate` header and the error status set through leptos_axum.
pub async fn serve(def: &'static FunctionDef, args: RawArgs) -> Result<Envelope, MizanError> {
    let result = match use_context::<Parts>() {
        Some(parts) => (def.invoke)(RequestContext::from_parts(parts), args).await,
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
                && let Ok(value) =
                    HeaderValue::from_str(&invalidate_header_value(&envelope.invalidate))
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

/// Calls a function from server code (SSR, another function): same pipeline, same checks, as the
/// current request's user when there is one.
pub async fn call_in_process<A: Serialize, O: DeserializeOwned>(
    def: &'static FunctionDef,
    args: &A,
) -> Result<O, MizanError> {
    let args = RawArgs::from_value(args).map_err(|error| {
        tracing::error!(function = def.name, %error, "cannot serialize in-process arguments");
        MizanError::internal()
    })?;
    let ctx = use_context::<Parts>()
        .map(RequestContext::from_parts)
        .unwrap_or_else(RequestContext::detached);
    let envelope = data_envelope((def.invoke)(ctx, args).await?)?;
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
