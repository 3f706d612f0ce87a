//! `/api/mizan/sse/`: the socket's fallback, for where an upgrade cannot pass (a proxy that
//! strips `Upgrade`): the same frames, down as Server-Sent Events (`GET`), up as one `POST` per
//! frame naming the stream by its own secret in `x-mizan-stream` (its first event, `inlet`).
//! Behind the two requests runs the socket's own loop: the same limits, authorization, pushes and
//! channels.
//!
//! Security: opening a stream acts as the user, so it passes the cross-site rule of a
//! state-changing request; a frame is taken only with the stream's secret (128 random bits, sent
//! down the stream only, never in other requests) and from the session that opened it; every
//! frame is then authorized like a socket's. `EventSource` cannot send an `Authorization` header:
//! the fallback carries the session cookie's user (or none), and bearer clients use the socket.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex, MutexGuard},
};

use axum::{
    body::{Body, Bytes, to_bytes},
    extract::{Request, ws::Utf8Bytes},
    response::{IntoResponse, Response},
};
use futures::{SinkExt, Stream, channel::mpsc};
use http::{HeaderValue, StatusCode, header};
use tokio::sync::mpsc as bounded;

use super::{
    auth::authenticate,
    context::RequestContext,
    hub::Connection,
    peer::Peer,
    response::error_response,
    socket::{Inbound, Outgoing, Outlet, Registered, Sockets, WRITE_TIMEOUT, serve},
};
use crate::{
    error::MizanError,
    frames::{MAX_SOCKET_MESSAGE_BYTES, STREAM_HEADER},
};

/// Frames posted and not yet read by the stream's loop; a `POST` beyond them waits for room (a
/// bounded time, then it is refused and its frame never runs).
const INLET_FRAMES: usize = 16;
/// Chunks of the event stream not yet taken by hyper.
const OUTLET_CHUNKS: usize = 16;

/// The open streams, by their secret: where their posted frames go.
#[derive(Default)]
pub(crate) struct Inlets {
    open: Mutex<HashMap<String, Inlet>>,
}

struct Inlet {
    connection: Arc<Connection>,
    frames: bounded::Sender<Inbound>,
}

impl Inlets {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Inlet>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Forgets a stream's inlet however its loop ends.
struct Forget {
    inlets: Arc<Inlets>,
    id: String,
}

impl Drop for Forget {
    fn drop(&mut self) {
        self.inlets.lock().remove(&self.id);
    }
}

/// The event stream's writer side: each frame one `data:` event.
struct EventOutlet(mpsc::Sender<Result<Bytes, Infallible>>);

impl Outlet for EventOutlet {
    async fn deliver(&mut self, outgoing: Outgoing) -> Result<(), ()> {
        let chunk = match outgoing {
            Outgoing::Text(text) => Bytes::from(event_data(text.as_str())),
            // A comment: keeps proxies from closing an idle response.
            Outgoing::Ping => Bytes::from_static(b": ping\n\n"),
            Outgoing::Close(code, _) => Bytes::from(format!("event: close\ndata: {code}\n\n")),
        };
        match tokio::time::timeout(WRITE_TIMEOUT, self.0.send(Ok(chunk))).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }
}

/// A frame as one event: a line break (JSON whitespace, in a result passed through as written)
/// would end a `data:` line, so each line is its own (event streams join them with `\n`).
fn event_data(text: &str) -> String {
    let mut event = String::with_capacity(text.len() + 8);
    for line in text.split(['\n', '\r']) {
        event.push_str("data: ");
        event.push_str(line);
        event.push('\n');
    }
    event.push('\n');
    event
}

/// A receiver of frames as the socket loop's stream.
fn inbound_stream(
    frames: bounded::Receiver<Inbound>,
) -> impl Stream<Item = Inbound> + Unpin + Send {
    Box::pin(futures::stream::unfold(frames, |mut frames| async move {
        frames.recv().await.map(|frame| (frame, frames))
    }))
}

/// `GET /api/mizan/sse/`: checks the origin and the caller, then streams the client's frames,
/// starting with the stream's secret (an `inlet` event) and `hello`.
pub(crate) async fn open(sockets: Arc<Sockets>, inlets: Arc<Inlets>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if let Err(reason) = sockets
        .origins
        .check_stream(&parts.headers, Peer::scheme_of(&parts.extensions))
    {
        tracing::warn!(origin = ?parts.headers.get(header::ORIGIN), reason, "refused an event stream");
        return error_response(&MizanError::forbidden(reason));
    }
    if parts.headers.contains_key(header::AUTHORIZATION) {
        return error_response(&MizanError::bad_request(
            "the event stream carries the session cookie's user: with a bearer token, use the \
             socket",
        ));
    }
    let ctx = RequestContext::from_parts(parts);
    if let Err(error) = authenticate(&ctx).await {
        return error_response(&error);
    }
    let registered = match Registered::open(&sockets.hub, &ctx) {
        Ok(registered) => registered,
        Err(error) => return error_response(&error),
    };
    let connection = Arc::clone(&registered.connection);
    let secret = tower_sessions::session::Id::default().to_string();
    let (frames, inbound) = bounded::channel::<Inbound>(INLET_FRAMES);
    let (mut chunks, body) = mpsc::channel::<Result<Bytes, Infallible>>(OUTLET_CHUNKS);
    // The first event, before `hello`: the channel is new, so there is room.
    let _ = chunks.try_send(Ok(Bytes::from(format!("event: inlet\ndata: {secret}\n\n"))));
    let forget = Forget {
        inlets: Arc::clone(&inlets),
        id: secret.clone(),
    };
    inlets.lock().insert(
        secret,
        Inlet {
            connection: Arc::clone(&connection),
            frames,
        },
    );
    tokio::spawn(async move {
        let (_forget, _registered) = (forget, registered);
        // Without a sender the loop would read the end of the stream at once: the inlet holds
        // one, and `Forget` drops it with the inlet.
        let inbound = inbound_stream(inbound);
        serve(sockets, ctx, connection, inbound, EventOutlet(chunks)).await;
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            // nginx and its kind buffer responses unless told not to.
            (
                http::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// `POST /api/mizan/sse/`: one frame for the stream whose secret is in `x-mizan-stream`, from
/// the session that opened it. `204` once the stream's loop has it (its answer comes down the
/// stream).
pub(crate) async fn post(inlets: Arc<Inlets>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(id) = parts
        .headers
        .get(STREAM_HEADER)
        .and_then(|id| id.to_str().ok())
        .map(str::to_owned)
    else {
        return error_response(&MizanError::bad_request(format!(
            "name the stream in `{STREAM_HEADER}` (its `inlet` event)"
        )));
    };
    let ctx = RequestContext::from_parts(parts);
    let session = ctx.session().and_then(|session| session.id());
    let frames = {
        let open = inlets.lock();
        open.get(&id)
            // Another session's stream is answered as an unknown one: its existence is not told.
            .filter(|inlet| inlet.connection.session() == session.as_ref())
            .filter(|inlet| !inlet.connection.is_closed())
            .map(|inlet| inlet.frames.clone())
    };
    let Some(frames) = frames else {
        return error_response(&MizanError::not_found(
            "no open stream with this id: open a new one",
        ));
    };
    let text = match to_bytes(body, MAX_SOCKET_MESSAGE_BYTES).await {
        Ok(bytes) => match String::from_utf8(bytes.to_vec()) {
            Ok(text) => text,
            Err(_) => {
                return error_response(&MizanError::bad_request(
                    "mizan frames are JSON text: the body is not UTF-8",
                ));
            }
        },
        Err(_) => {
            return error_response(&MizanError::payload_too_large(format!(
                "a frame is at most {MAX_SOCKET_MESSAGE_BYTES} bytes"
            )));
        }
    };
    // Room first, then the frame: a post refused for want of room never runs later.
    match tokio::time::timeout(WRITE_TIMEOUT, frames.reserve()).await {
        Ok(Ok(room)) => {
            room.send(Inbound::Text(Utf8Bytes::from(text)));
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(Err(_)) => error_response(&MizanError::not_found(
            "no open stream with this id: open a new one",
        )),
        // Like a socket's rate limit: the stream's calls in flight hold its loop.
        Err(_) => error_response(&MizanError::bad_request(
            "the stream is not taking frames this fast: slow down",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::event_data;

    #[test]
    fn a_frame_with_line_breaks_is_one_event_of_several_data_lines() {
        assert_eq!(event_data(r#"{"a":1}"#), "data: {\"a\":1}\n\n");
        assert_eq!(
            event_data("{\"a\":\r\n [1,\n2]}"),
            "data: {\"a\":\ndata: \ndata:  [1,\ndata: 2]}\n\n"
        );
    }
}
