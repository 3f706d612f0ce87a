//! The caller's side of a call: turning an envelope into the typed result.

use serde::de::DeserializeOwned;

use crate::{error::MizanError, protocol::Envelope};

/// Decodes a successful envelope's result into the function's output type.
///
/// The envelope's `invalidate` keys are what the client runtime refreshes; the contexts issue
/// connects them to live context instances.
pub fn accept<T: DeserializeOwned>(envelope: Envelope) -> Result<T, MizanError> {
    serde_json::from_str(envelope.result.get()).map_err(|error| {
        MizanError::bad_request(format!(
            "the server's result did not match its type: {error}"
        ))
    })
}
