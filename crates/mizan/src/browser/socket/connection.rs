//! One connection of the tab's socket, from its `hello` to its end: the intake loop, and what
//! each of the server's frames does ([`Connection::dispatch`]).

use std::{mem, ops::ControlFlow, time::Duration};

use futures::{
    StreamExt,
    channel::mpsc,
    future::{self, Either},
    stream::LocalBoxStream,
};

use super::{
    carrier::{self, Received, Transport, Writer},
    clock::sleep,
    tab,
};
use crate::{
    error::MizanError,
    frames::{
        Broadcast, CallResult, ClientFrame, Failure, FrameError, Keys, ServerFrame, Taken,
        Watching, pacing,
    },
    protocol::Envelope,
};

/// How a connection ended.
pub struct Ended {
    /// Its close code, when it has one.
    pub code: Option<u16>,
    /// Whether its `hello` arrived.
    pub greeted: bool,
    /// Whether the tab closed it to reopen as another identity (see [`serve`]).
    pub reopened: bool,
}

/// A connection's own state.
struct Connection<'a> {
    /// Starts writing; taken by the `hello`.
    writer: Option<Writer>,
    transport: Transport,
    /// The fallback's secret, for its writer.
    secret: String,
    greeted: bool,
    /// Whether the tab was connected before this connection (pushes may have been missed).
    connected_before: &'a mut bool,
}

/// Serves one connection until it ends: no `hello` within [`pacing::HELLO_WITHIN_MS`], or
/// silence for [`pacing::SILENT_FOR_MS`] after it, ends it too, and so does a signal on `reopen`
/// (the session changed hands: this connection acts as who the tab was). Ending drops the
/// transport, which closes it.
pub async fn serve(
    mut received: LocalBoxStream<'static, Received>,
    writer: Writer,
    transport: Transport,
    connected_before: &mut bool,
    reopen: &mut mpsc::UnboundedReceiver<()>,
) -> Ended {
    let mut connection = Connection {
        writer: Some(writer),
        transport,
        secret: String::new(),
        greeted: false,
        connected_before,
    };
    let mut code = None;
    let mut reopened = false;
    loop {
        let patience = if connection.greeted {
            pacing::SILENT_FOR_MS
        } else {
            pacing::HELLO_WITHIN_MS
        };
        let quiet = Box::pin(sleep(Duration::from_millis(patience)));
        let interrupted = future::select(reopen.next(), quiet);
        let text = match future::select(received.next(), interrupted).await {
            Either::Left((Some(Received::Text(text)), _)) => text,
            Either::Left((Some(Received::Inlet(secret)), _)) => {
                connection.secret = secret;
                continue;
            }
            Either::Left((Some(Received::Ended(ended)), _)) => {
                code = ended;
                break;
            }
            Either::Right((Either::Left((Some(()), _)), _)) => {
                reopened = true;
                break;
            }
            Either::Left((None, _)) | Either::Right(_) => break,
        };
        let frame = match ServerFrame::parse(&text) {
            Ok(frame) => frame,
            Err(error) => {
                unreadable(&text, &error);
                continue;
            }
        };
        if connection.dispatch(frame).is_break() {
            break;
        }
    }
    tab::disconnected();
    Ended {
        code,
        greeted: connection.greeted,
        reopened,
    }
}

/// A frame this client cannot read (another version of the server, say): the connection goes
/// on, and a request it answers, when its `id` can be read, fails instead of waiting forever.
fn unreadable(text: &str, error: &FrameError) {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<u64>,
    }
    if let Ok(Id { id: Some(id) }) = serde_json::from_str(text) {
        let error = MizanError::invalid_response(format!(
            "the server's answer is not a frame this client reads: {error}"
        ));
        tab::answer(id, Err(error));
    }
}

impl Connection<'_> {
    /// Acts on one frame; `Break` when the connection is over.
    fn dispatch(&mut self, frame: ServerFrame) -> ControlFlow<()> {
        match frame {
            ServerFrame::Hello(_) => return self.greet(),
            ServerFrame::Invalidate(Keys { keys }) => tab::refresh_foreign(keys),
            ServerFrame::Result(CallResult {
                id,
                result,
                invalidate,
            }) => tab::answer(id, Ok(Some(Envelope { result, invalidate }))),
            ServerFrame::Sent(Taken { id }) => tab::answer(id, Ok(None)),
            ServerFrame::Error(Failure {
                id: Some(id),
                error,
            }) => tab::answer(id, Err(error)),
            ServerFrame::Message(Broadcast {
                channel,
                params,
                message,
            }) => {
                if let Ok(params) = serde_json::from_str(params.get()) {
                    tab::hear(&channel, &params, message.get());
                }
            }
            // Refused watches and subscriptions are not shown yet; pongs only prove life,
            // which the frame's arrival already did.
            ServerFrame::Error(Failure { id: None, .. })
            | ServerFrame::Watching(Watching { .. })
            | ServerFrame::Subscribed(_)
            | ServerFrame::Pong(_) => {}
        }
        ControlFlow::Continue(())
    }

    /// The `hello`: start writing, ask again for what the tab watches and subscribes to, and
    /// after a reconnect refetch what is live (pushes made meanwhile are lost).
    fn greet(&mut self) -> ControlFlow<()> {
        // A second `hello` is a new connection under this one (a stream the browser reopened
        // by itself): this one is over.
        let Some(start) = self.writer.take() else {
            return ControlFlow::Break(());
        };
        self.greeted = true;
        let (out, queued) = mpsc::unbounded::<String>();
        let (watched, subscribe) = tab::connected(out);
        start(queued, mem::take(&mut self.secret));
        if self.transport == Transport::Stream {
            carrier::remember_stream();
        }
        for batch in Keys::batches(watched.clone()) {
            tab::send(&ClientFrame::Watch(batch));
        }
        for frame in &subscribe {
            tab::send(frame);
        }
        // Keys this tab's own answer applies are refetched once: a sign-in or sign-out
        // reconnects the socket around its answer, and refetching those again would be the
        // same work twice.
        if *self.connected_before {
            tab::refresh_foreign(watched);
        }
        *self.connected_before = true;
        ControlFlow::Continue(())
    }
}
