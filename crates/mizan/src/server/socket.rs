//! `/api/mizan/ws/`: one WebSocket per client (per tab), carrying `rpc` calls of
//! `#[client(websocket)]` functions through the same pipeline as HTTP, context `watch`es, and the
//! server's pushed invalidations.
//!
//! Security: the upgrade needs the site's own `Origin` or a trusted one (no cross-site socket
//! hijacking), and the caller is authenticated once, from the session cookie or a bearer token;
//! every message is then authorized on its own (an `rpc` by its function's rule, a `watch` by the
//! context's). A session's end (sign-out, or sign-in under a new id) closes its sockets.
//! Limits: messages of at most [`MAX_SOCKET_MESSAGE_BYTES`], a rate per socket, a bounded number
//! of calls in flight and watched instances, small buffers. A bad message gets a typed error
//! frame; the socket and its other calls go on.

use std::{
    collections::{HashMap, HashSet},
    ops::ControlFlow,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::{
        Request,
        ws::{
            CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade,
            rejection::WebSocketUpgradeRejection,
        },
    },
    response::Response,
};
use futures::{SinkExt, Stream, StreamExt, stream::SplitSink};
use http::HeaderValue;
use tokio::sync::{Semaphore, mpsc};

use serde_json::value::RawValue;

use super::{
    auth::{authenticate, bearer_expiry, current_user},
    channel::{ChannelDef, ChannelHub, Member},
    context::RequestContext,
    csrf::OriginPolicy,
    hub::{Closing, Connection, Hub, Owner},
    limits::Limits,
    peer::Peer,
    registry::{FunctionKind, Registry, per_user_keys},
    response::error_response,
    watch::{ParamKinds, watch},
};
use crate::{
    error::{ErrorCode, MizanError},
    frames::{
        Broadcast, CONNECTION_HEADER, Call, CallResult, ChannelSend, ClientFrame, Failure, Hello,
        Keys, MAX_SOCKET_MESSAGE_BYTES, ServerFrame, Subscribe, Taken, Unsubscribe, close_code,
        pacing,
    },
    invalidation::ContextKey,
    protocol::RawArgs,
};

/// The read buffer of a socket: small, so thousands of idle sockets stay cheap (tungstenite
/// allocates 128 KiB by default).
const READ_BUFFER: usize = 4 * 1024;
/// The write buffer; frames are small.
const WRITE_BUFFER: usize = 4 * 1024;
/// Most bytes a socket may have waiting to be written before writes fail (a client that does not
/// read): must exceed [`WRITE_BUFFER`].
const MAX_WRITE_BUFFER: usize = 256 * 1024;
/// Frames waiting for the writer, per socket.
const OUTBOUND_FRAMES: usize = 64;
/// Calls of one socket running at once; more wait, and so does reading.
const MAX_IN_FLIGHT: usize = 16;
/// How long pushed keys gather after a push before the next is sent: the first change after a
/// quiet window goes at once, and a burst of calls behind it is one more frame.
const COALESCE: Duration = Duration::from_millis(20);
/// How often the server pings; browsers answer without any script.
const PING_EVERY: Duration = Duration::from_millis(pacing::PING_EVERY_MS);
/// A socket silent this long (not even a pong) is dead.
const IDLE_TIMEOUT: Duration = Duration::from_millis(pacing::SILENT_FOR_MS);
/// Messages a socket may send per second, sustained, and in a burst.
const RATE_PER_SECOND: f64 = 50.0;
const RATE_BURST: f64 = 100.0;
/// Messages over the rate before the socket is closed (1008, policy).
const MAX_OVER_RATE: u32 = 50;

/// What the socket endpoint needs: the functions, the open sockets, the origin rule, the
/// channels.
pub(crate) struct Sockets {
    pub(crate) registry: Arc<Registry>,
    pub(crate) hub: Hub,
    pub(crate) origins: Arc<OriginPolicy>,
    pub(crate) channels: ChannelHub,
    pub(crate) limits: Limits,
    /// What each context's params may be, for checking watched keys.
    pub(crate) param_kinds: Arc<ParamKinds>,
}

/// `GET /api/mizan/ws/`: checks the origin and the caller, then upgrades.
pub(crate) async fn upgrade(
    sockets: Arc<Sockets>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    if let Err(reason) = sockets
        .origins
        .check_upgrade(&parts.headers, Peer::scheme_of(&parts.extensions))
    {
        tracing::warn!(origin = ?parts.headers.get(http::header::ORIGIN), reason, "refused a WebSocket");
        return error_response(&MizanError::forbidden(reason));
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return error_response(&MizanError::bad_request(format!(
                "not a WebSocket upgrade: {rejection}"
            )));
        }
    };
    let ctx = RequestContext::from_parts(parts);
    if let Err(error) = authenticate(&ctx).await {
        return error_response(&error);
    }
    // A token past its `exp` still passes calls within the verifier's leeway; a socket would be
    // closed as soon as opened, and its client would come straight back.
    if bearer_expiry(&ctx).is_some_and(|at| at <= std::time::SystemTime::now()) {
        return error_response(&MizanError::unauthorized(
            "the bearer token has expired: get a new one",
        ));
    }
    // Counted before the upgrade, so a client past its caps hears why (429), not a closed socket.
    let registered = match Registered::open(&sockets.hub, &ctx) {
        Ok(registered) => registered,
        Err(error) => return error_response(&error),
    };
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_SOCKET_MESSAGE_BYTES)
        .max_frame_size(MAX_SOCKET_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let connection = Arc::clone(&registered.connection);
            let (sink, stream) = socket.split();
            async move {
                let _registered = registered;
                serve(sockets, ctx, connection, stream.map(inbound), sink).await;
            }
        })
}

/// A socket or stream registered in the hub, forgotten again however its request ends (an
/// upgrade that never completes included).
pub(crate) struct Registered {
    hub: Hub,
    pub(crate) connection: Arc<Connection>,
}

impl Registered {
    /// Registers the client of `ctx` (authenticated): its session, user and address, within the
    /// hub's limits.
    pub(crate) fn open(hub: &Hub, ctx: &RequestContext) -> Result<Self, MizanError> {
        let owner = Owner {
            session: ctx.session().and_then(|session| session.id()),
            user: ctx.user_id(),
            address: ctx.extension_ref::<Peer>().map(Peer::counted_as),
        };
        // Debug, not warn: one client past its caps would otherwise write a line per attempt.
        let connection = hub.register(owner).inspect_err(|error| {
            tracing::debug!(?owner, %error, "refused a socket over its limits");
        })?;
        Ok(Self {
            hub: hub.clone(),
            connection,
        })
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.hub.unregister(&self.connection);
    }
}

/// What a client's transport delivers to [`serve`].
pub(crate) enum Inbound {
    /// A text message: a frame.
    Text(Utf8Bytes),
    /// A binary message, which mizan does not take.
    Binary,
    /// A sign of life with nothing to do (a WebSocket ping or pong).
    Alive,
    /// The client is gone.
    Closed,
}

/// A WebSocket message as [`Inbound`].
fn inbound(message: Result<Message, axum::Error>) -> Inbound {
    match message {
        Ok(Message::Text(text)) => Inbound::Text(text),
        Ok(Message::Binary(_)) => Inbound::Binary,
        Ok(Message::Ping(_) | Message::Pong(_)) => Inbound::Alive,
        Ok(Message::Close(_)) | Err(_) => Inbound::Closed,
    }
}

/// What [`serve`]'s writer hands a client's transport.
pub(crate) enum Outgoing {
    /// A frame.
    Text(Utf8Bytes),
    /// A heartbeat.
    Ping,
    /// The end, with a close code (4001: the session ended) and a reason.
    Close(u16, &'static str),
}

/// Where a client's frames go out: the socket's sink, or the fallback's event stream.
pub(crate) trait Outlet: Send + 'static {
    /// Writes one thing; `Err` when the client cannot take it (gone, or not reading).
    fn deliver(&mut self, outgoing: Outgoing) -> impl Future<Output = Result<(), ()>> + Send;
}

impl Outlet for SplitSink<WebSocket, Message> {
    async fn deliver(&mut self, outgoing: Outgoing) -> Result<(), ()> {
        let message = match outgoing {
            Outgoing::Text(text) => Message::Text(text),
            Outgoing::Ping => Message::Ping(Default::default()),
            Outgoing::Close(code, reason) => Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            })),
        };
        match tokio::time::timeout(WRITE_TIMEOUT, self.send(message)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }
}

/// One client (`connection`, registered in the hub), from `hello` to close, whatever carries
/// its frames: the intake loop. It reads, admits and parses each message; [`Client::dispatch`]
/// acts on the frame.
pub(crate) async fn serve(
    sockets: Arc<Sockets>,
    ctx: RequestContext,
    connection: Arc<Connection>,
    mut stream: impl Stream<Item = Inbound> + Unpin + Send,
    outlet: impl Outlet,
) {
    // A bearer token's socket lives no longer than the token: it closes as a session's would.
    let expires = bearer_expiry(&ctx).and_then(|at| {
        let left = at
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        tokio::time::Instant::now().checked_add(left)
    });
    let (out, out_rx) = mpsc::channel::<Utf8Bytes>(OUTBOUND_FRAMES);
    let mut writer = tokio::spawn(write(outlet, out_rx, Arc::clone(&connection)));
    let mut client = Client::new(sockets, ctx, connection, out, writer.abort_handle());
    client.queue(&ServerFrame::Hello(Hello {
        connection: client.connection.id().to_owned(),
    }));
    let expiry = async move {
        match expires {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    let mut expired = false;
    // The first check runs at once: a sign-out between the upgrade's authentication and the
    // socket's registration in the hub found no socket to close.
    Box::pin(client.check_identity()).await;
    // Then every period, from a point of its own in the first: sockets that opened together (a
    // restart's reconnections) do not all read the stores in the same instant.
    let period = client.sockets.limits.identity_recheck;
    let spread = std::hash::BuildHasher::hash_one(
        &std::collections::hash_map::RandomState::new(),
        client.connection.id(),
    ) % 1024;
    let first = period / 2 + period.mul_f64(spread as f64 / 2048.0);
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // One deadline for the whole loop, moved on by what the client sends only: the other
    // branches (checks, expiry) must not keep a silent client alive.
    let silence = tokio::time::sleep(IDLE_TIMEOUT);
    tokio::pin!(silence);
    loop {
        let message = tokio::select! {
            // The writer ended: the hub closed the socket, or the client stopped reading.
            _ = &mut writer => break,
            // The app says the user changed; or, now and then, changes made where the hub does
            // not hear of them (another node, the database by hand, a session that expired).
            () = client.connection.user_changed() => {
                Box::pin(client.check_identity()).await;
                // Changed by someone else (a name set by staff, new rights): what the user sees
                // of themselves may have changed with them, so their `per_user` contexts are
                // refetched.
                if client.connection.take_refetch_own() && !client.connection.is_closed() {
                    client.connection.notice(per_user_keys());
                }
                continue;
            }
            _ = recheck.tick() => {
                Box::pin(client.check_identity()).await;
                continue;
            }
            // The writer says goodbye (4001) and ends.
            () = &mut expiry, if !expired => {
                expired = true;
                client.connection.close();
                continue;
            }
            () = &mut silence => {
                tracing::debug!(
                    connection = client.connection.id(),
                    "socket silent too long: closed"
                );
                break;
            }
            message = stream.next() => {
                silence.as_mut().reset(tokio::time::Instant::now() + IDLE_TIMEOUT);
                message
            }
        };
        // Closed by the hub (sign-out): nothing more runs as this socket's user.
        if client.connection.is_closed() {
            break;
        }
        let text = match message {
            None | Some(Inbound::Closed) => break,
            Some(Inbound::Text(text)) => text,
            Some(Inbound::Binary) => {
                client.refuse(None, "mizan frames are JSON text messages");
                continue;
            }
            Some(Inbound::Alive) => continue,
        };
        if client.take(&text).await.is_break() {
            break;
        }
    }
}

/// One connected client as [`serve`] acts for it: its user's context, its entry in the hub, its
/// writer's queue, its calls in flight and its subscriptions (left, with the hub, when it is
/// dropped).
struct Client {
    sockets: Arc<Sockets>,
    ctx: RequestContext,
    connection: Arc<Connection>,
    out: mpsc::Sender<Utf8Bytes>,
    in_flight: Arc<Semaphore>,
    rate: Rate,
    cleanup: Cleanup,
}

impl Client {
    fn new(
        sockets: Arc<Sockets>,
        ctx: RequestContext,
        connection: Arc<Connection>,
        out: mpsc::Sender<Utf8Bytes>,
        writer: tokio::task::AbortHandle,
    ) -> Self {
        // Calls made over this socket name it, so their keys are not pushed back to it. The
        // upgrade's own context is dropped here, not kept beside the socket's (it holds the
        // request's buffers).
        let ctx = match HeaderValue::from_str(connection.id()) {
            Ok(id) => ctx.for_socket(CONNECTION_HEADER, id),
            Err(_) => ctx,
        };
        // However the client's task ends (a channel's code may panic), the socket leaves
        // everything.
        let cleanup = Cleanup {
            sockets: Arc::clone(&sockets),
            connection: Arc::clone(&connection),
            writer,
            subscriptions: Subscriptions::default(),
        };
        Self {
            sockets,
            ctx,
            connection,
            out,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            rate: Rate::new(),
            cleanup,
        }
    }

    /// One text message: admitted by the rate, read, acted on; `Break` when the connection must
    /// end.
    async fn take(&mut self, text: &str) -> ControlFlow<()> {
        match self.rate.admit() {
            Admission::Yes => {}
            Admission::No => {
                self.refuse(None, "too many messages: slow down");
                return ControlFlow::Continue(());
            }
            Admission::Close => {
                tracing::warn!(
                    connection = self.connection.id(),
                    "socket over its message rate: closed"
                );
                return ControlFlow::Break(());
            }
        }
        match ClientFrame::parse(text) {
            Ok(frame) => self.dispatch(frame).await,
            Err((id, problem)) => {
                self.queue(&ServerFrame::Error(Failure {
                    id,
                    error: problem.to_error(),
                }));
                ControlFlow::Continue(())
            }
        }
    }

    /// Reads the socket's user again: goes on as the user now is, or closes the socket (the
    /// writer says 4001) when it would act as someone else or with other rights, or when one of
    /// its channel subscriptions would no longer be joined.
    async fn check_identity(&mut self) {
        if self.connection.is_closed() {
            return;
        }
        let Some(now) = current_user(&self.ctx).await else {
            return;
        };
        let rights = |user: Option<&Arc<dyn crate::server::MizanUser>>| {
            user.map(|user| (user.id(), user.is_staff()))
        };
        if rights(now.as_ref()) != rights(self.ctx.user()) {
            tracing::debug!(
                connection = self.connection.id(),
                "the socket's user changed: closed"
            );
            self.connection.close();
            return;
        }
        if now.is_some() {
            self.ctx = self.ctx.with_user(self.ctx.auth_method(), now);
        }
        // Only a refusal closes the socket: a store that cannot answer now is no change.
        if let Err(error) = self
            .cleanup
            .subscriptions
            .still_joined(&self.sockets.channels, &self.ctx)
            .await
            && matches!(
                error.code,
                ErrorCode::Unauthorized
                    | ErrorCode::Forbidden
                    | ErrorCode::NotFound
                    | ErrorCode::ValidationError
            )
        {
            tracing::debug!(
                connection = self.connection.id(),
                %error,
                "the socket's user may no longer join a channel it is in: closed"
            );
            self.connection.close();
        }
    }

    /// Acts on one frame; `Break` when the connection must end.
    async fn dispatch(&mut self, frame: ClientFrame) -> ControlFlow<()> {
        match frame {
            ClientFrame::Rpc(call) => return self.call(call).await,
            ClientFrame::Watch(Keys { keys }) => {
                // Boxed, like the channel requests below: the socket's own future stays small,
                // and an idle socket costs only that.
                let watching = Box::pin(watch(
                    &self.sockets.registry,
                    &self.sockets.param_kinds,
                    &self.ctx,
                    &self.connection,
                    keys,
                ))
                .await;
                self.queue(&ServerFrame::Watching(watching));
            }
            ClientFrame::Unwatch(Keys { keys }) => {
                for key in keys.iter().filter_map(|key| ContextKey::parse(key).ok()) {
                    self.connection.unwatch(&key);
                }
            }
            ClientFrame::Ping(heartbeat) => self.queue(&ServerFrame::Pong(heartbeat)),
            ClientFrame::Subscribe(Subscribe {
                id,
                channel,
                params,
            }) => {
                let member = Member {
                    id: self.connection.id().to_owned(),
                    out: self.out.clone(),
                };
                let joined = Box::pin(self.cleanup.subscriptions.subscribe(
                    &self.sockets.channels,
                    &self.ctx,
                    member,
                    &channel,
                    params,
                ))
                .await;
                self.answer(id, joined, ServerFrame::Subscribed(Taken { id }));
            }
            ClientFrame::Send(ChannelSend {
                id,
                channel,
                params,
                message,
            }) => {
                let sent = Box::pin(self.cleanup.subscriptions.send(
                    &self.sockets.channels,
                    &self.ctx,
                    &channel,
                    params,
                    message,
                ))
                .await;
                self.answer(id, sent, ServerFrame::Sent(Taken { id }));
            }
            ClientFrame::Unsubscribe(Unsubscribe { channel, params }) => {
                self.cleanup.subscriptions.unsubscribe(
                    &self.sockets.channels,
                    self.connection.id(),
                    &channel,
                    &params,
                );
            }
        }
        ControlFlow::Continue(())
    }

    /// Runs an `rpc` in a task of its own, once one of the [`MAX_IN_FLIGHT`] places is free
    /// (reading waits meanwhile).
    async fn call(&self, Call { id, function, args }: Call) -> ControlFlow<()> {
        let Ok(permit) = Arc::clone(&self.in_flight).acquire_owned().await else {
            return ControlFlow::Break(());
        };
        let (registry, out, ctx) = (
            Arc::clone(&self.sockets.registry),
            self.out.clone(),
            self.ctx.clone(),
        );
        tokio::spawn(async move {
            let frame = rpc(&registry, &ctx, id, &function, args).await;
            if let Ok(text) = frame.to_text() {
                // Waits for room: the calls in flight are bounded, so is the wait.
                let _ = out.send(Utf8Bytes::from(text)).await;
            }
            drop(permit);
        });
        ControlFlow::Continue(())
    }

    /// `taken` when `outcome` is `Ok`, else the error under request `id`.
    fn answer(&self, id: u64, outcome: Result<(), MizanError>, taken: ServerFrame) {
        match outcome {
            Ok(()) => self.queue(&taken),
            Err(error) => self.queue(&failed(id, error)),
        }
    }

    /// An error frame for a message that could not be taken.
    fn refuse(&self, id: Option<u64>, why: &'static str) {
        let error = MizanError::bad_request(why);
        self.queue(&ServerFrame::Error(Failure { id, error }));
    }

    /// Queues a frame for the writer without waiting: a client too slow to take the frames its
    /// own messages cause loses them (its calls' answers wait for room instead; see
    /// [`Client::call`]).
    fn queue(&self, frame: &ServerFrame) {
        match frame.to_text() {
            Ok(text) => {
                if self.out.try_send(Utf8Bytes::from(text)).is_err() {
                    tracing::debug!("a socket's outbound queue is full: frame dropped");
                }
            }
            Err(error) => tracing::error!(%error, "cannot write a socket frame"),
        }
    }
}

/// Leaves the socket's groups, forgets it in the hub and stops its writer, on every way out of
/// `serve`.
struct Cleanup {
    sockets: Arc<Sockets>,
    connection: Arc<Connection>,
    writer: tokio::task::AbortHandle,
    subscriptions: Subscriptions,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let groups: HashSet<&String> = self.subscriptions.by_key.values().collect();
        for group in groups {
            self.sockets
                .channels
                .layer
                .leave(group, self.connection.id());
        }
        self.connection.close();
        self.sockets.hub.unregister(&self.connection);
        self.writer.abort();
    }
}

/// The error frame answering request `id`.
fn failed(id: u64, error: MizanError) -> ServerFrame {
    ServerFrame::Error(Failure {
        id: Some(id),
        error,
    })
}

/// Runs one `rpc` through the pipeline, as the socket's user.
async fn rpc(
    registry: &Registry,
    ctx: &RequestContext,
    id: u64,
    function: &str,
    args: RawArgs,
) -> ServerFrame {
    let Some(def) = registry.get(function) else {
        let error = MizanError::not_found(format!("no function named `{function}`"));
        return failed(id, error);
    };
    if !def.websocket || def.kind == FunctionKind::View {
        let error = MizanError::not_implemented(format!(
            "`{function}` is not a #[client(websocket)] function: call it over HTTP"
        ));
        return failed(id, error);
    }
    match (def.invoke)(ctx.for_nested_call(), args)
        .await
        .and_then(|outcome| outcome.into_envelope())
    {
        Ok(envelope) => ServerFrame::Result(CallResult {
            id,
            result: envelope.result,
            invalidate: envelope.invalidate,
        }),
        Err(error) => failed(id, error),
    }
}

/// How long one write may wait for a client that does not read; then the client is dropped.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The client's writer: queued frames, coalesced pushes, heartbeats, and the close the hub asks
/// for.
async fn write(
    mut outlet: impl Outlet,
    mut frames: mpsc::Receiver<Utf8Bytes>,
    connection: Arc<Connection>,
) {
    let mut heartbeat = tokio::time::interval(PING_EVERY);
    heartbeat.tick().await;
    // When the last pushed keys went out: the first change after a quiet window goes at once,
    // and what follows within the window gathers into one frame at its end.
    let mut last_push: Option<tokio::time::Instant> = None;
    loop {
        let sent = tokio::select! {
            frame = frames.recv() => match frame {
                Some(text) => outlet.deliver(Outgoing::Text(text)).await,
                None => break,
            },
            () = connection.woken() => {
                let window_ends = last_push.map(|at| at + COALESCE);
                if let Some(end) = window_ends.filter(|end| *end > tokio::time::Instant::now())
                    && !connection.is_closed()
                {
                    tokio::time::sleep_until(end).await;
                }
                if let Some(why) = connection.closing() {
                    // What was queued before the close still goes out: a call's answer, say.
                    while let Ok(text) = frames.try_recv() {
                        if outlet.deliver(Outgoing::Text(text)).await.is_err() {
                            break;
                        }
                    }
                    let (code, reason) = match why {
                        Closing::ShuttingDown => (close_code::GOING_AWAY, "server shutting down"),
                        _ => (close_code::SESSION_ENDED, "session ended"),
                    };
                    let _ = outlet.deliver(Outgoing::Close(code, reason)).await;
                    break;
                }
                let keys = connection.take_pending();
                if keys.is_empty() {
                    continue;
                }
                last_push = Some(tokio::time::Instant::now());
                match ServerFrame::Invalidate(Keys { keys }).to_text() {
                    Ok(text) => outlet.deliver(Outgoing::Text(Utf8Bytes::from(text))).await,
                    Err(_) => continue,
                }
            }
            _ = heartbeat.tick() => outlet.deliver(Outgoing::Ping).await,
        };
        if sent.is_err() {
            break;
        }
    }
}

/// Most channel subscriptions one socket may hold.
const MAX_SUBSCRIPTIONS: usize = 64;

/// A socket's channel subscriptions: (channel, canonical params) → group.
#[derive(Default)]
struct Subscriptions {
    by_key: HashMap<(String, String), String>,
}

/// The channel called `name`, or `NOT_FOUND`.
fn channel_named(hub: &ChannelHub, name: &str) -> Result<&'static ChannelDef, MizanError> {
    hub.channels
        .get(name)
        .ok_or_else(|| MizanError::not_found(format!("no channel named `{name}`")))
}

impl Subscriptions {
    /// Joins `channel` with `params`: decoded, validated and authorized by the channel.
    async fn subscribe(
        &mut self,
        hub: &ChannelHub,
        ctx: &RequestContext,
        member: Member,
        channel: &str,
        params: RawArgs,
    ) -> Result<(), MizanError> {
        let def = channel_named(hub, channel)?;
        let key = (channel.to_owned(), (def.canonical)(&params)?);
        if !self.by_key.contains_key(&key) && self.by_key.len() >= MAX_SUBSCRIPTIONS {
            return Err(MizanError::bad_request(format!(
                "a socket holds at most {MAX_SUBSCRIPTIONS} subscriptions"
            )));
        }
        let group = (def.join)(ctx.for_nested_call(), params).await?;
        hub.layer.join(&group, member);
        self.by_key.insert(key, group);
        Ok(())
    }

    /// Whether the socket's user may still join every channel it is subscribed to: the first
    /// refusal, if any.
    async fn still_joined(&self, hub: &ChannelHub, ctx: &RequestContext) -> Result<(), MizanError> {
        for (channel, params) in self.by_key.keys() {
            let def = channel_named(hub, channel)?;
            let params: RawArgs =
                serde_json::from_str(params).map_err(|_| MizanError::internal())?;
            (def.join)(ctx.for_nested_call(), params).await?;
        }
        Ok(())
    }

    /// A message to a subscribed channel: authorized again, received, broadcast.
    async fn send(
        &self,
        hub: &ChannelHub,
        ctx: &RequestContext,
        channel: &str,
        params: RawArgs,
        message: RawArgs,
    ) -> Result<(), MizanError> {
        let def = channel_named(hub, channel)?;
        let key = (channel.to_owned(), (def.canonical)(&params)?);
        if !self.by_key.contains_key(&key) {
            // A caller who may not join hears why (`UNAUTHORIZED`, ...), not just "subscribe".
            (def.join)(ctx.for_nested_call(), params).await?;
            return Err(MizanError::bad_request(format!(
                "subscribe to `{channel}` with these params before sending to it"
            )));
        }
        if let Some((group, answer)) = (def.receive)(ctx.for_nested_call(), params, message).await?
        {
            // The params as the channel's type writes them, not as the sender sent them.
            let params = RawValue::from_string(key.1).map_err(|_| MizanError::internal())?;
            let frame = ServerFrame::Message(Broadcast {
                channel: channel.to_owned(),
                params,
                message: answer,
            });
            match frame.to_text() {
                Ok(text) => hub.broadcast(&group, text),
                Err(error) => tracing::error!(%error, "cannot write a channel frame"),
            }
        }
        Ok(())
    }

    /// Leaves `channel` with `params`, if subscribed.
    fn unsubscribe(&mut self, hub: &ChannelHub, member: &str, channel: &str, params: &RawArgs) {
        let Some(canonical) = hub
            .channels
            .get(channel)
            .and_then(|def| (def.canonical)(params).ok())
        else {
            return;
        };
        if let Some(group) = self.by_key.remove(&(channel.to_owned(), canonical)) {
            // Another subscription of this socket may share the group.
            if !self.by_key.values().any(|other| *other == group) {
                hub.layer.leave(&group, member);
            }
        }
    }
}

/// A token bucket: [`RATE_PER_SECOND`] sustained, [`RATE_BURST`] at once.
struct Rate {
    tokens: f64,
    last: Instant,
    over: u32,
}

enum Admission {
    Yes,
    No,
    Close,
}

impl Rate {
    fn new() -> Self {
        Self {
            tokens: RATE_BURST,
            last: Instant::now(),
            over: 0,
        }
    }

    fn admit(&mut self) -> Admission {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * RATE_PER_SECOND).min(RATE_BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            // Back under the rate: earlier excess is forgiven.
            self.over = 0;
            return Admission::Yes;
        }
        self.over += 1;
        if self.over > MAX_OVER_RATE {
            Admission::Close
        } else {
            Admission::No
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::{
        Admission, COALESCE, IDLE_TIMEOUT, Outgoing, Outlet, RATE_BURST, Rate, Sockets, serve,
        write,
    };
    use crate::invalidation::ContextKey;
    use crate::server::{
        channel::{ChannelHub, Channels, LocalChannels},
        context::RequestContext,
        hub::{Hub, Owner},
        limits::Limits,
        registry::Registry,
    };

    /// A client that reads everything and never says anything.
    struct Reading;

    impl Outlet for Reading {
        async fn deliver(&mut self, _: Outgoing) -> Result<(), ()> {
            Ok(())
        }
    }

    /// A client that notes when each frame reached it.
    struct Timed(tokio::sync::mpsc::UnboundedSender<(tokio::time::Instant, String)>);

    impl Outlet for Timed {
        async fn deliver(&mut self, outgoing: Outgoing) -> Result<(), ()> {
            if let Outgoing::Text(text) = outgoing {
                let _ = self.0.send((tokio::time::Instant::now(), text.to_string()));
            }
            Ok(())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_push_after_a_quiet_window_goes_at_once_and_a_burst_behind_it_gathers() {
        let hub = Hub::default();
        let connection = hub.register(Owner::default()).expect("open");
        for key in ["a", "b"] {
            assert!(connection.watch(&ContextKey::parse(key).expect("a key")));
        }
        let (timed, mut received) = tokio::sync::mpsc::unbounded_channel();
        // Held: the writer ends when its queue's senders are gone.
        let (_queue, frames) = tokio::sync::mpsc::channel(1);
        tokio::spawn(write(Timed(timed), frames, Arc::clone(&connection)));
        let start = tokio::time::Instant::now();

        hub.publish(&["a".into()], None);
        let (at, frame) = received.recv().await.expect("pushed");
        assert_eq!(at, start, "at once: {frame}");
        assert!(frame.contains(r#"["a"]"#), "{frame}");

        tokio::time::advance(Duration::from_millis(5)).await;
        hub.publish(&["b".into()], None);
        tokio::time::advance(Duration::from_millis(5)).await;
        hub.publish(&["a".into()], None);
        let (at, frame) = received.recv().await.expect("pushed");
        assert_eq!(
            at - start,
            COALESCE,
            "gathered to the window's end: {frame}"
        );
        assert!(frame.contains(r#"["a","b"]"#), "{frame}");

        tokio::time::advance(COALESCE * 5).await;
        let quiet = tokio::time::Instant::now();
        hub.publish(&["b".into()], None);
        let (at, _) = received.recv().await.expect("pushed");
        assert_eq!(at, quiet, "after a quiet window, at once again");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_is_dropped_however_often_the_socket_checks_its_user() {
        let limits = Limits::default().with_identity_recheck(Duration::from_secs(1));
        let hub = Hub::with_limits(limits);
        let sockets = Arc::new(Sockets {
            registry: Arc::new(Registry::from_defs([]).expect("registry")),
            hub: hub.clone(),
            origins: Arc::default(),
            channels: ChannelHub::new(Channels::default(), LocalChannels::default()),
            limits,
            param_kinds: Arc::default(),
        });
        let connection = hub.register(Owner::default()).expect("open");
        let started = tokio::time::Instant::now();
        let served = serve(
            sockets,
            RequestContext::detached(),
            connection,
            futures::stream::pending(),
            Reading,
        );
        tokio::time::timeout(IDLE_TIMEOUT * 3, served)
            .await
            .expect("the silent client is dropped");
        assert!(started.elapsed() >= IDLE_TIMEOUT, "not before its time");
    }

    #[tokio::test]
    async fn a_socket_call_cannot_change_the_session() {
        let ctx = RequestContext::detached().for_socket(
            crate::frames::CONNECTION_HEADER,
            http::HeaderValue::from_static("c1"),
        );
        let nested = ctx.for_nested_call();
        for error in [nested.sign_in(1).await, nested.sign_out().await] {
            let error = error.expect_err("refused over a socket");
            assert_eq!(error.code.as_str(), "NOT_IMPLEMENTED");
        }
    }

    #[test]
    fn the_rate_allows_a_burst_then_refuses_then_closes() {
        let mut rate = Rate::new();
        for _ in 0..RATE_BURST as usize {
            assert!(matches!(rate.admit(), Admission::Yes));
        }
        let mut refused = 0;
        loop {
            match rate.admit() {
                Admission::Yes => {}
                Admission::No => refused += 1,
                Admission::Close => break,
            }
        }
        assert!(refused >= super::MAX_OVER_RATE, "{refused}");
    }
}
