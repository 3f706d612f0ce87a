//! How pipeline results become HTTP answers: the envelope or error body, the error's status, the
//! `X-Mizan-Invalidate` header and `Cache-Control` for views.

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use http::{HeaderName, HeaderValue, StatusCode, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::outcome::{Outcome, Output};
use crate::{
    error::MizanError,
    protocol::{Envelope, INVALIDATE_HEADER, invalidate_header_value},
};

/// The `X-Mizan-Invalidate` value for these keys; the common empty list costs no allocation.
pub(crate) fn invalidate_header(keys: &[String]) -> Option<HeaderValue> {
    if keys.is_empty() {
        return Some(HeaderValue::from_static("[]"));
    }
    HeaderValue::from_str(&invalidate_header_value(keys)).ok()
}

/// The HTTP answer for a pipeline result, the same for every HTTP transport.
pub fn outcome_response(result: Result<Outcome, MizanError>) -> Response {
    let Outcome { output, invalidate } = match result {
        Ok(outcome) => outcome,
        Err(error) => return error_response(&error),
    };
    let header_value = invalidate_header(&invalidate);
    let mut response = match output {
        Output::Data(result) => Json(Envelope { result, invalidate }).into_response(),
        Output::View(mut response) => {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    };
    if let Some(value) = header_value {
        response
            .headers_mut()
            .insert(HeaderName::from_static(INVALIDATE_HEADER), value);
    }
    response
}

/// `{"error": {...}}` with the code's status.
pub fn error_response(error: &MizanError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(error.to_body())).into_response()
}

/// Sets the HTTP status of the server_fn (or page) response being built to the error's status.
pub(crate) fn set_error_status(error: &MizanError) {
    if let (Some(response), Ok(status)) = (
        use_context::<ResponseOptions>(),
        StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
}

/// Adds the `X-Mizan-Invalidate` header to the server_fn response being built.
pub(crate) fn set_invalidate_header(keys: &[String]) {
    if let Some(response) = use_context::<ResponseOptions>()
        && let Some(value) = invalidate_header(keys)
    {
        response.insert_header(HeaderName::from_static(INVALIDATE_HEADER), value);
    }
}
