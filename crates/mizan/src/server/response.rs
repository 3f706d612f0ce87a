//! How pipeline results become HTTP answers: the envelope or error body, the error's status, the
//! `X-Mizan-Invalidate` header, and `Cache-Control` for views and `public` contexts (every other
//! answer gets `private, no-store` from the admit layer's rules).

use axum::{
    Json,
    body::Body,
    response::{IntoResponse, Response},
};
use http::{HeaderName, HeaderValue, StatusCode, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::{
    outcome::{Outcome, Output},
    registry::FunctionDef,
};
use crate::{
    error::MizanError,
    protocol::{INVALIDATE_HEADER, invalidate_header_value},
};

/// The `X-Mizan-Invalidate` header's name.
const INVALIDATE: HeaderName = HeaderName::from_static(INVALIDATE_HEADER);

/// The `X-Mizan-Invalidate` value for these keys; the common empty list costs no allocation.
pub(crate) fn invalidate_header(keys: &[String]) -> Option<HeaderValue> {
    if keys.is_empty() {
        return Some(HeaderValue::from_static("[]"));
    }
    HeaderValue::from_str(&invalidate_header_value(keys)).ok()
}

/// `{"result": <result>, "invalidate": <keys>}`, written in one buffer: the result is already
/// JSON, and the keys' JSON is the header's value too.
fn envelope_response(result: &str, keys: &str) -> Response {
    const OPEN: &str = r#"{"result":"#;
    const MIDDLE: &str = r#","invalidate":"#;
    let mut body = String::with_capacity(OPEN.len() + result.len() + MIDDLE.len() + keys.len() + 1);
    body.push_str(OPEN);
    body.push_str(result);
    body.push_str(MIDDLE);
    body.push_str(keys);
    body.push('}');
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The HTTP answer for a pipeline result, the same for every HTTP transport.
pub fn outcome_response(result: Result<Outcome, MizanError>) -> Response {
    let Outcome { output, invalidate } = match result {
        Ok(outcome) => outcome,
        Err(error) => return error_response(&error),
    };
    let keys = if invalidate.is_empty() {
        std::borrow::Cow::Borrowed("[]")
    } else {
        std::borrow::Cow::Owned(invalidate_header_value(&invalidate))
    };
    let mut response = match output {
        Output::Data(result) => envelope_response(result.get(), &keys),
        Output::View(mut response) => {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    };
    let value = match keys {
        std::borrow::Cow::Borrowed(keys) => Ok(HeaderValue::from_static(keys)),
        std::borrow::Cow::Owned(keys) => HeaderValue::try_from(keys),
    };
    // Keys are printable JSON text; one that is not a header value is left out of the header
    // only (it is in the body).
    if let Ok(value) = value {
        response.headers_mut().insert(INVALIDATE, value);
    }
    response
}

/// [`outcome_response`] for a call of `def`: a `public` context's answer may be shared by edge
/// caches (`Cache-Control: public`); every other keeps the default rule, `private, no-store`.
pub(crate) fn function_response(
    def: &FunctionDef,
    result: Result<Outcome, MizanError>,
) -> Response {
    let mut response = outcome_response(result);
    if def.public && response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, public_cache_rule());
    }
    response
}

/// The cache rule of a `public` context's answer: the same for every caller (it runs without the
/// caller's identity), so a shared cache may keep it; the manifest's `cache` says the same.
pub(crate) const fn public_cache_rule() -> HeaderValue {
    HeaderValue::from_static("public")
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
        response.insert_header(INVALIDATE, value);
    }
}
