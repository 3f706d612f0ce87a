//! The caller's side of a call: turning an envelope into the typed result.

use serde::de::DeserializeOwned;

use crate::{error::MizanError, protocol::Envelope};

/// Decodes a successful envelope's result into the function's output type (in-process calls,
/// whose invalidations belong to the server-side caller).
pub fn accept<T: DeserializeOwned>(envelope: Envelope) -> Result<T, MizanError> {
    serde_json::from_str(envelope.result.get()).map_err(|error| {
        MizanError::bad_request(format!(
            "the server's result did not match its type: {error}"
        ))
    })
}

/// Like [`accept`], for an answer from the server: first the live context instances its
/// `invalidate` keys cover are refetched (in one batch).
pub fn accept_remote<T: DeserializeOwned>(envelope: Envelope) -> Result<T, MizanError> {
    crate::runtime::apply_invalidations(&envelope.invalidate);
    accept(envelope)
}
