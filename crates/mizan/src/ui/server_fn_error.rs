//! `MizanError` as the error type of the server_fn endpoints `#[client]` generates.
//!
//! server_fn writes every error response with status 500 and the error's own encoding; here the
//! encoding is mizan's `{"error": {...}}` body, and on the server the status is set from the code
//! through leptos_axum's `ResponseOptions` (see `server::endpoint`).

use server_fn::{
    Bytes, ContentType, Decodes, Encodes, Format, FormatType,
    error::{FromServerFnError, ServerFnErrorErr},
};

use crate::error::{ErrorCode, MizanError};

/// server_fn encoding of a `MizanError` as mizan's JSON error body.
pub struct ErrorBodyEncoding;

impl ContentType for ErrorBodyEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for ErrorBodyEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl Encodes<MizanError> for ErrorBodyEncoding {
    type Error = serde_json::Error;

    fn encode(value: &MizanError) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(&value.to_body()).map(Bytes::from)
    }
}

impl Decodes<MizanError> for ErrorBodyEncoding {
    type Error = std::convert::Infallible;

    fn decode(bytes: Bytes) -> Result<MizanError, Self::Error> {
        Ok(MizanError::from_body(&bytes))
    }
}

impl FromServerFnError for MizanError {
    type Encoder = ErrorBodyEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            // The request never reached the function: malformed body, missing `args`.
            ServerFnErrorErr::Args(message)
            | ServerFnErrorErr::MissingArg(message)
            | ServerFnErrorErr::UnsupportedRequestMethod(message) => MizanError::new(
                ErrorCode::BadRequest,
                format!("malformed request: {message}"),
            ),
            ServerFnErrorErr::Registration(message) => MizanError::not_found(message),
            // Client side: no answer arrived.
            ServerFnErrorErr::Request(message) => {
                MizanError::network(format!("the server could not be reached: {message}"))
            }
            ServerFnErrorErr::Deserialization(message)
            | ServerFnErrorErr::Serialization(message) => undecodable(message),
            ServerFnErrorErr::Response(message) => {
                MizanError::invalid_response(format!("unreadable answer: {message}"))
            }
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::MiddlewareError(_) => {
                MizanError::internal()
            }
        };
        #[cfg(feature = "ssr")]
        crate::server::response::set_error_status(&error);
        error
    }
}

/// Data that did not decode: on the server that is the request (its body over the limit, or
/// malformed); in the browser it is the server's answer.
fn undecodable(message: String) -> MizanError {
    if cfg!(feature = "ssr") {
        // server_fn reads the body through axum's limit and reports going over it only as text.
        if message.contains("length limit exceeded") {
            MizanError::payload_too_large(format!(
                "the request body is larger than {} bytes",
                crate::protocol::MAX_BODY_BYTES
            ))
        } else {
            MizanError::bad_request(format!("malformed request: {message}"))
        }
    } else {
        MizanError::invalid_response(format!("unreadable answer: {message}"))
    }
}
