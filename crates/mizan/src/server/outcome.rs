//! What a successful call produces: serialized data or a view's HTTP response, with the context
//! keys it invalidated; and how a function's return value becomes one.

use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::{error::MizanError, protocol::Envelope};

/// What a function produced.
#[non_exhaustive]
pub enum Output {
    /// Data, serialized: answered as `{"result": ..., "invalidate": [...]}`.
    Data(Box<RawValue>),
    /// An HTTP response of a view function, passed through.
    View(Response),
}

/// A successful call: its output and the context keys it invalidated.
pub struct Outcome {
    /// The output.
    pub output: Output,
    /// Keys for clients to refresh, in their canonical text form.
    pub invalidate: Vec<String>,
}

impl Outcome {
    /// The `{"result", "invalidate"}` envelope of a data function; a view's response cannot be
    /// one (`NOT_IMPLEMENTED`: views answer at their own route).
    pub fn into_envelope(self) -> Result<Envelope, MizanError> {
        match self.output {
            Output::Data(result) => Ok(Envelope {
                result,
                invalidate: self.invalidate,
            }),
            Output::View(_) => Err(MizanError::not_implemented(
                "view functions answer at their own route, not as data",
            )),
        }
    }
}

/// Wraps a data function's return value so the pipeline serializes it.
pub struct Data<T>(pub T);

/// Wraps a view function's return value (anything axum can answer with), passed through.
pub struct View<T>(pub T);

/// How a function's return value becomes an [`Output`].
pub trait IntoOutput {
    /// The output, or an `INTERNAL_ERROR` when it cannot be serialized.
    fn into_output(self) -> Result<Output, MizanError>;
}

impl<T: Serialize> IntoOutput for Data<T> {
    fn into_output(self) -> Result<Output, MizanError> {
        serde_json::value::to_raw_value(&self.0)
            .map(Output::Data)
            .map_err(|error| {
                tracing::error!(%error, "cannot serialize a function's result");
                MizanError::internal()
            })
    }
}

impl<T: IntoResponse> IntoOutput for View<T> {
    fn into_output(self) -> Result<Output, MizanError> {
        Ok(Output::View(self.0.into_response()))
    }
}
