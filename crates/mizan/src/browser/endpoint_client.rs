//! The server_fn client of the `#[client]` functions' endpoints: the browser's `fetch`, as
//! server_fn's own client sends it, and a look at each response for a session that changed hands.

use std::future::Future;

use server_fn::{
    Bytes,
    client::{Client, browser::BrowserClient},
    error::FromServerFnError,
    request::browser::BrowserRequest,
    response::browser::BrowserResponse,
};

use super::runtime;
use crate::frames::IDENTITY_HEADER;

/// What `#[client]` names as its endpoints' client (`client = ...` of `#[server]`): server_fn's
/// browser client, plus the one thing mizan's runtime needs from the response that the endpoint's
/// typed answer does not carry, [`IDENTITY_HEADER`]. A call that signed the tab in or out tells the
/// runtime, whose socket then reopens as who the tab now is.
pub struct EndpointClient;

impl<E, InputStreamError, OutputStreamError> Client<E, InputStreamError, OutputStreamError>
    for EndpointClient
where
    E: FromServerFnError,
    InputStreamError: FromServerFnError,
    OutputStreamError: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(request: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        let sent = <BrowserClient as Client<E, InputStreamError, OutputStreamError>>::send(request);
        async move {
            let response = sent.await?;
            let changed = response
                .generate_headers()
                .get(IDENTITY_HEADER)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| runtime::says_identity_changed(Some(value)));
            // The response is in, and with it the `Set-Cookie` the browser stored: a socket
            // opened from now on is the new session's.
            if changed {
                runtime::identity_changed();
            }
            Ok(response)
        }
    }

    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl futures::Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl futures::Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, InputStreamError, OutputStreamError>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, InputStreamError, OutputStreamError>>::spawn(future);
    }
}
