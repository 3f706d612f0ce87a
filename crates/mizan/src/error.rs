//! `MizanError`: the one error type of every call, on the server, in wasm and on the wire.

use std::{borrow::Cow, collections::BTreeMap, fmt};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of failure a call had; each code has one HTTP status.
///
/// The last two codes are never sent by a server: the client side of a call produces them when
/// no answer of mizan's arrived (`NETWORK_ERROR`: offline, server down, connection cut) or when
/// the answer could not be read (`INVALID_RESPONSE`: a result of the wrong shape, a proxy's error
/// page), so they stay distinguishable from a server's own `INTERNAL_ERROR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// No such function, or the thing it looked for does not exist (404).
    NotFound,
    /// The arguments decoded but broke a rule, or named a field wrongly (422).
    ValidationError,
    /// The call needs a signed-in user and there is none (401).
    Unauthorized,
    /// The user is known but may not do this, or the request came cross-site (403).
    Forbidden,
    /// The request itself is malformed: not JSON, not an object, wrong envelope (400).
    BadRequest,
    /// Something failed inside the server; the message is generic, the log has the detail (500).
    InternalError,
    /// The function exists but this transport or feature is not available for it (501).
    NotImplemented,
    /// The request body is larger than the server accepts (413).
    PayloadTooLarge,
    /// Too many at once or too fast: failed sign-ins, open sockets; try again later (429).
    RateLimited,
    /// Something the server needs is down for now (its database); try again shortly (503).
    Unavailable,
    /// Client side only: the server could not be reached (status 503 where one is needed).
    NetworkError,
    /// Client side only: the server's answer could not be read (status 502 where one is needed).
    InvalidResponse,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::ValidationError => 422,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::BadRequest => 400,
            Self::InternalError => 500,
            Self::NotImplemented => 501,
            Self::PayloadTooLarge => 413,
            Self::RateLimited => 429,
            Self::Unavailable => 503,
            Self::NetworkError => 503,
            Self::InvalidResponse => 502,
        }
    }

    /// The wire spelling, e.g. `VALIDATION_ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::ValidationError => "VALIDATION_ERROR",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::BadRequest => "BAD_REQUEST",
            Self::InternalError => "INTERNAL_ERROR",
            Self::NotImplemented => "NOT_IMPLEMENTED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::RateLimited => "RATE_LIMITED",
            Self::Unavailable => "UNAVAILABLE",
            Self::NetworkError => "NETWORK_ERROR",
            Self::InvalidResponse => "INVALID_RESPONSE",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Field name → messages, the `details.fields` of a `VALIDATION_ERROR`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// The error of a mizan call: a code, a message for people, and structured details.
///
/// On the wire it is `{"error": {"code": "...", "message": "...", "details": ...}}`. For
/// `VALIDATION_ERROR`, `details` is `{"fields": {"<field>": ["<message>", ...]}}`, with nested
/// fields written `outer.inner` and list items `items[2]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct MizanError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// A sentence for people; never internals.
    pub message: String,
    /// Structured details (field errors for validation), or `null`.
    #[serde(default)]
    pub details: Option<Value>,
}

/// The message every `INTERNAL_ERROR` carries to the client.
pub const INTERNAL_MESSAGE: &str = "internal server error";

impl MizanError {
    /// An error with this code and message, without details.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into().into_owned(),
            details: None,
        }
    }

    /// `NOT_FOUND`.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `BAD_REQUEST`.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `FORBIDDEN`.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `NOT_IMPLEMENTED`.
    pub fn not_implemented(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotImplemented, message)
    }

    /// `PAYLOAD_TOO_LARGE`.
    pub fn payload_too_large(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::PayloadTooLarge, message)
    }

    /// `RATE_LIMITED`: too many at once or too fast; the message says when to try again.
    pub fn rate_limited(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::RateLimited, message)
    }

    /// `NETWORK_ERROR` (client side): no answer arrived.
    pub fn network(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NetworkError, message)
    }

    /// `INVALID_RESPONSE` (client side): the answer could not be read.
    pub fn invalid_response(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidResponse, message)
    }

    /// `UNAVAILABLE`: something the server needs (its database) does not answer for now; the
    /// message says what, never how (log the cause where it happens).
    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// `INTERNAL_ERROR` with the generic message; log the real cause where it happens.
    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalError, INTERNAL_MESSAGE)
    }

    /// `VALIDATION_ERROR` with per-field messages.
    pub fn validation(fields: FieldErrors) -> Self {
        // The message names each rule's own text: `title` must be 1 to 100 characters.
        let summary = fields
            .iter()
            .flat_map(|(field, messages)| {
                messages.iter().map(move |message| {
                    let reads_on = ["must ", "is ", "has ", "does ", "cannot "]
                        .iter()
                        .any(|verb| message.starts_with(verb));
                    if reads_on {
                        format!("`{field}` {message}")
                    } else {
                        format!("`{field}`: {message}")
                    }
                })
            })
            .collect::<Vec<_>>()
            .join("; ");
        let summary = if summary.is_empty() {
            "invalid arguments".to_owned()
        } else {
            summary
        };
        Self {
            code: ErrorCode::ValidationError,
            message: summary,
            details: Some(serde_json::json!({ "fields": fields })),
        }
    }

    /// `VALIDATION_ERROR` for a single field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(FieldErrors::from([(field.into(), vec![message.into()])]))
    }

    /// Replaces the details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// `UNAUTHORIZED` or `FORBIDDEN`.
    pub fn is_auth_error(&self) -> bool {
        matches!(self.code, ErrorCode::Unauthorized | ErrorCode::Forbidden)
    }

    /// `NETWORK_ERROR`: the server was not reached; trying again later may work.
    pub fn is_network_error(&self) -> bool {
        self.code == ErrorCode::NetworkError
    }

    /// `VALIDATION_ERROR`.
    pub fn is_validation_error(&self) -> bool {
        self.code == ErrorCode::ValidationError
    }

    /// Every failing field's messages, for a `VALIDATION_ERROR` (`None` for other codes).
    pub fn fields(&self) -> Option<FieldErrors> {
        if !self.is_validation_error() {
            return None;
        }
        serde_json::from_value(self.details.as_ref()?.get("fields")?.clone()).ok()
    }

    /// The messages for one field of a `VALIDATION_ERROR` (empty when the field is fine).
    pub fn field_errors(&self, field: &str) -> Vec<String> {
        self.details
            .as_ref()
            .and_then(|details| details.get("fields"))
            .and_then(|fields| fields.get(field))
            .and_then(Value::as_array)
            .map(|messages| {
                messages
                    .iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The wire body: `{"error": {...}}`.
    pub fn to_body(&self) -> Value {
        serde_json::json!({ "error": self })
    }

    /// Reads a wire body `{"error": {...}}`; anything else (a proxy's error page, say) becomes an
    /// `INVALID_RESPONSE` quoting its start.
    pub fn from_body(body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Body {
            error: MizanError,
        }
        match serde_json::from_slice::<Body>(body) {
            Ok(body) => body.error,
            Err(_) => Self::invalid_response(format!(
                "unexpected error response: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )),
        }
    }
}

/// An error and each of its sources, `: `-separated: `cannot open database x: unable to open
/// database file`. mizan's errors name only their own step in `Display`, so nothing prints twice.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_statuses_and_spellings() {
        let expected = [
            (ErrorCode::NotFound, 404, "NOT_FOUND"),
            (ErrorCode::ValidationError, 422, "VALIDATION_ERROR"),
            (ErrorCode::Unauthorized, 401, "UNAUTHORIZED"),
            (ErrorCode::Forbidden, 403, "FORBIDDEN"),
            (ErrorCode::BadRequest, 400, "BAD_REQUEST"),
            (ErrorCode::InternalError, 500, "INTERNAL_ERROR"),
            (ErrorCode::NotImplemented, 501, "NOT_IMPLEMENTED"),
            (ErrorCode::PayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"),
            (ErrorCode::NetworkError, 503, "NETWORK_ERROR"),
            (ErrorCode::InvalidResponse, 502, "INVALID_RESPONSE"),
        ];
        for (code, status, text) in expected {
            assert_eq!(code.status(), status);
            assert_eq!(code.as_str(), text);
            assert_eq!(serde_json::to_value(code).expect("serialize"), text);
        }
    }

    #[test]
    fn a_validation_message_names_each_rule_text() {
        let one = MizanError::validation(FieldErrors::from([(
            "title".to_owned(),
            vec!["must be 1 to 100 characters".to_owned()],
        )]));
        assert_eq!(one.message, "`title` must be 1 to 100 characters");
        let two = MizanError::validation(FieldErrors::from([
            ("email".to_owned(), vec!["already registered".to_owned()]),
            ("name".to_owned(), vec!["is required".to_owned()]),
        ]));
        assert_eq!(
            two.message,
            "`email`: already registered; `name` is required"
        );
    }

    #[test]
    fn wire_body_round_trips_with_field_errors() {
        let error = MizanError::invalid_field("name", "must be 1 to 100 characters");
        let body = serde_json::to_vec(&error.to_body()).expect("serialize");
        let back = MizanError::from_body(&body);
        assert_eq!(back, error);
        assert!(back.is_validation_error());
        assert!(!back.is_auth_error());
        assert_eq!(back.field_errors("name"), ["must be 1 to 100 characters"]);
        assert!(back.field_errors("email").is_empty());
        assert_eq!(
            serde_json::to_value(error.to_body()).expect("json")["error"]["code"],
            "VALIDATION_ERROR"
        );
    }

    /// The golden fixture the TypeScript runtime reads too: the same bodies give the same codes,
    /// statuses, predicates and field messages, and each body is what the server writes.
    #[test]
    fn error_bodies_agree_with_the_shared_fixture() {
        let fixture: Value =
            serde_json::from_str(include_str!("../../../fixtures/protocol.json")).expect("json");
        for case in fixture["errors"].as_array().expect("errors") {
            let body = serde_json::to_vec(&case["body"]).expect("body");
            let error = MizanError::from_body(&body);
            assert_eq!(error.code.as_str(), case["code"], "{case}");
            assert_eq!(u64::from(error.status()), case["status"], "{case}");
            assert_eq!(error.is_auth_error(), case["auth"], "{case}");
            assert_eq!(error.is_validation_error(), case["validation"], "{case}");
            for (field, messages) in case["fields"].as_object().expect("fields") {
                assert_eq!(
                    serde_json::to_value(error.field_errors(field)).expect("json"),
                    *messages
                );
            }
            assert_eq!(error.to_body(), case["body"], "written as read: {case}");
        }
    }

    #[test]
    fn details_are_null_not_missing_when_absent() {
        let body = MizanError::forbidden("no").to_body();
        assert!(
            body["error"]
                .as_object()
                .expect("object")
                .contains_key("details")
        );
        assert!(body["error"]["details"].is_null());
    }

    #[test]
    fn a_body_that_is_not_an_error_envelope_is_reported_as_such() {
        let error = MizanError::from_body(b"<html>bad gateway</html>");
        assert_eq!(error.code, ErrorCode::InvalidResponse);
        assert!(error.message.contains("bad gateway"));
    }
}
