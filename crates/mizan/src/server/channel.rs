//! Typed channels over the socket: a [`Channel`] says who may join (`authorize`), which group a
//! subscription belongs to (`group`), and what a client's message broadcasts to that group
//! (`receive`). Channels are registered like functions ([`register_channel!`](crate::register_channel))
//! and carried by a [`ChannelLayer`]: in-process by default; another implementation (Redis) can
//! carry groups across nodes without touching the rest. With a
//! [`Broker`](super::broker::Broker), each broadcast also reaches the groups' members on the
//! app's other nodes.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, OnceLock},
};

use axum::extract::ws::Utf8Bytes;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::{
    broker::{Event, Outbox},
    context::RequestContext,
    pipeline::decode,
    registry::SchemaFn,
};
use validator::Validate;

use crate::{ChannelSpec, error::MizanError, protocol::RawArgs, validation::check};

/// A typed channel's server half: who may join, which group, what a message does. Its name and
/// types are its [`ChannelSpec`]. Register it with [`register_channel!`](crate::register_channel):
///
/// ```
/// use mizan::{ChannelSpec, MizanError, server::{Channel, RequestContext}};
/// # use schemars::JsonSchema; use serde::{Deserialize, Serialize}; use validator::Validate;
///
/// pub struct ChatChannel;
///
/// #[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
/// pub struct Room {
///     #[validate(length(min = 1, max = 40))]
///     pub room: String,
/// }
/// #[derive(Serialize, Deserialize, JsonSchema, Validate)]
/// pub struct Say {
///     #[validate(length(min = 1, max = 500))]
///     pub text: String,
/// }
/// #[derive(Clone, Serialize, Deserialize, JsonSchema)]
/// pub struct Said { pub text: String }
///
/// impl ChannelSpec for ChatChannel {
///     const NAME: &'static str = "chat";
///     type Params = Room;
///     type ClientMessage = Say;
///     type ServerMessage = Said;
/// }
///
/// impl Channel for ChatChannel {
///     async fn authorize(ctx: &RequestContext, _room: &Room) -> Result<(), MizanError> {
///         ctx.user().map(|_| ()).ok_or_else(|| MizanError::unauthorized("sign in to chat"))
///     }
///     fn group(room: &Room) -> String {
///         format!("chat:{}", room.room)
///     }
///     async fn receive(_ctx: &RequestContext, _room: &Room, say: Say) -> Result<Option<Said>, MizanError> {
///         Ok(Some(Said { text: say.text }))
///     }
/// }
/// mizan::register_channel!(ChatChannel);
/// ```
pub trait Channel:
    ChannelSpec<
        Params: JsonSchema + Validate,
        ClientMessage: JsonSchema + Validate,
        ServerMessage: JsonSchema,
    >
{
    /// Whether the caller may join (and send to) the channel with these params: checked on every
    /// subscribe and every send, as the socket's user.
    fn authorize(
        ctx: &RequestContext,
        params: &Self::Params,
    ) -> impl Future<Output = Result<(), MizanError>> + Send;

    /// The group a subscription belongs to: everyone in it receives what is broadcast to it.
    fn group(params: &Self::Params) -> String;

    /// A client's message: the message to broadcast to the group, or none.
    fn receive(
        ctx: &RequestContext,
        params: &Self::Params,
        message: Self::ClientMessage,
    ) -> impl Future<Output = Result<Option<Self::ServerMessage>, MizanError>> + Send;
}

/// Joins a subscription: decodes the params, authorizes, answers the group.
pub type JoinFn = fn(RequestContext, RawArgs) -> BoxFuture<'static, Result<String, MizanError>>;

/// What a received message becomes: the group to broadcast to and the message's JSON, if any.
pub type Broadcast = Option<(String, Box<RawValue>)>;

/// Takes a message: decodes, authorizes, receives; answers what to broadcast.
pub type ReceiveFn =
    fn(RequestContext, RawArgs, RawArgs) -> BoxFuture<'static, Result<Broadcast, MizanError>>;

/// A subscription's params in their one text form: decoded into the channel's type (so unknown
/// fields are gone), validated, and written back with keys sorted and nulls left out.
pub type CanonicalFn = fn(&RawArgs) -> Result<String, MizanError>;

/// A registered channel, type-erased.
pub struct ChannelDef {
    /// Its wire name.
    pub name: &'static str,
    /// JSON Schema of its params.
    pub params_schema: SchemaFn,
    /// JSON Schema of a client's message.
    pub client_schema: SchemaFn,
    /// JSON Schema of a broadcast message.
    pub server_schema: SchemaFn,
    /// Canonical params.
    pub canonical: CanonicalFn,
    /// Joins.
    pub join: JoinFn,
    /// Receives.
    pub receive: ReceiveFn,
}

impl std::fmt::Debug for ChannelDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ChannelDef {
    /// The definition of `C`.
    pub const fn of<C: Channel>() -> Self {
        Self {
            name: C::NAME,
            params_schema: |generator| generator.subschema_for::<C::Params>(),
            client_schema: |generator| generator.subschema_for::<C::ClientMessage>(),
            server_schema: |generator| generator.subschema_for::<C::ServerMessage>(),
            canonical: canonical::<C>,
            join: join::<C>,
            receive: receive::<C>,
        }
    }
}

/// What `inventory` collects: a reference to a registered channel's definition.
pub struct ChannelRef(pub &'static ChannelDef);

inventory::collect!(ChannelRef);

/// Registers a [`Channel`]: `mizan::register_channel!(ChatChannel);` at module level.
#[macro_export]
macro_rules! register_channel {
    ($channel:ty) => {
        $crate::__private::inventory::submit! {
            $crate::server::ChannelRef(&$crate::server::ChannelDef::of::<$channel>())
        }
    };
}

fn params_of<C: Channel>(params: &RawArgs) -> Result<C::Params, MizanError> {
    let params: C::Params = decode(params)?;
    check(&params)?;
    Ok(params)
}

fn canonical<C: Channel>(params: &RawArgs) -> Result<String, MizanError> {
    let params = params_of::<C>(params)?;
    let value = serde_json::to_value(&params).map_err(|error| {
        tracing::error!(%error, channel = C::NAME, "cannot serialize a channel's params");
        MizanError::internal()
    })?;
    Ok(crate::channel_spec::canonical_params(&value))
}

fn join<C: Channel>(
    ctx: RequestContext,
    params: RawArgs,
) -> BoxFuture<'static, Result<String, MizanError>> {
    Box::pin(async move {
        let params = params_of::<C>(&params)?;
        C::authorize(&ctx, &params).await?;
        Ok(C::group(&params))
    })
}

fn receive<C: Channel>(
    ctx: RequestContext,
    params: RawArgs,
    message: RawArgs,
) -> BoxFuture<'static, Result<Broadcast, MizanError>> {
    Box::pin(async move {
        let params = params_of::<C>(&params)?;
        C::authorize(&ctx, &params).await?;
        let message: C::ClientMessage = decode(&message)?;
        check(&message)?;
        let Some(answer) = C::receive(&ctx, &params, message).await? else {
            return Ok(None);
        };
        let json = serde_json::value::to_raw_value(&answer).map_err(|error| {
            tracing::error!(%error, channel = C::NAME, "cannot serialize a channel message");
            MizanError::internal()
        })?;
        Ok(Some((C::group(&params), json)))
    })
}

/// The registered channels, by name.
#[derive(Debug, Default)]
pub struct Channels {
    by_name: HashMap<&'static str, &'static ChannelDef>,
}

/// Two channels were registered under one name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("two channels are named `{name}`; channel names must be unique across the app")]
pub struct DuplicateChannel {
    /// The name.
    pub name: &'static str,
}

impl Channels {
    /// Every registered channel.
    pub fn collect() -> Result<Self, DuplicateChannel> {
        Self::from_defs(inventory::iter::<ChannelRef>.into_iter().map(|r| r.0))
    }

    /// Exactly these channels.
    pub fn from_defs(
        defs: impl IntoIterator<Item = &'static ChannelDef>,
    ) -> Result<Self, DuplicateChannel> {
        let mut by_name = HashMap::new();
        for def in defs {
            if by_name.insert(def.name, def).is_some() {
                return Err(DuplicateChannel { name: def.name });
            }
        }
        Ok(Self { by_name })
    }

    /// The channel called `name`.
    pub fn get(&self, name: &str) -> Option<&'static ChannelDef> {
        self.by_name.get(name).copied()
    }

    /// Every channel, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &'static ChannelDef> {
        let mut defs: Vec<_> = self.by_name.values().copied().collect();
        defs.sort_by_key(|def| def.name);
        defs.into_iter()
    }
}

/// A socket in a group: its id and its outbound queue.
#[derive(Clone)]
pub struct Member {
    /// The socket's id.
    pub id: String,
    /// Its queue of frames to send.
    pub out: mpsc::Sender<Utf8Bytes>,
}

/// Carries groups: who is in each, and what is broadcast to them. The in-process
/// [`LocalChannels`] is the default; an implementation over Redis pub/sub can carry the same
/// groups across server nodes.
pub trait ChannelLayer: Send + Sync + 'static {
    /// Adds `member` to `group`.
    fn join(&self, group: &str, member: Member);
    /// Removes the socket `member` from `group`.
    fn leave(&self, group: &str, member: &str);
    /// Removes the socket `member` from every group (it closed).
    fn leave_all(&self, member: &str);
    /// Sends `frame` to every member of `group`, never waiting: a member whose queue is full
    /// misses it (a slow client cannot hold up the group).
    fn broadcast(&self, group: &str, frame: Utf8Bytes);
}

/// Groups of this process.
#[derive(Default)]
pub struct LocalChannels {
    groups: Mutex<HashMap<String, HashMap<String, mpsc::Sender<Utf8Bytes>>>>,
}

impl LocalChannels {
    fn groups(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, mpsc::Sender<Utf8Bytes>>>> {
        self.groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ChannelLayer for LocalChannels {
    fn join(&self, group: &str, member: Member) {
        self.groups()
            .entry(group.to_owned())
            .or_default()
            .insert(member.id, member.out);
    }

    fn leave(&self, group: &str, member: &str) {
        let mut groups = self.groups();
        if let Some(members) = groups.get_mut(group) {
            members.remove(member);
            if members.is_empty() {
                groups.remove(group);
            }
        }
    }

    fn leave_all(&self, member: &str) {
        let mut groups = self.groups();
        groups.retain(|_, members| {
            members.remove(member);
            !members.is_empty()
        });
    }

    fn broadcast(&self, group: &str, frame: Utf8Bytes) {
        let members: Vec<mpsc::Sender<Utf8Bytes>> = self
            .groups()
            .get(group)
            .map(|members| members.values().cloned().collect())
            .unwrap_or_default();
        for out in members {
            if out.try_send(frame.clone()).is_err() {
                tracing::debug!(group, "a channel member's queue is full: message dropped");
            }
        }
    }
}

/// The channels and the layer carrying their groups.
#[derive(Clone)]
pub struct ChannelHub {
    pub(crate) channels: Arc<Channels>,
    pub(crate) layer: Arc<dyn ChannelLayer>,
    /// Where broadcasts go to the other nodes, once a broker is set.
    relay: Arc<OnceLock<Outbox>>,
}

impl ChannelHub {
    /// `channels` over `layer`.
    pub fn new(channels: Channels, layer: impl ChannelLayer) -> Self {
        Self {
            channels: Arc::new(channels),
            layer: Arc::new(layer),
            relay: Arc::default(),
        }
    }

    /// The same, telling the broker of `other` (the hub it replaces).
    pub(crate) fn relaying_as(mut self, other: &Self) -> Self {
        self.relay = Arc::clone(&other.relay);
        self
    }

    /// Tells the app's other nodes, through `outbox`, what is broadcast here (once).
    pub(crate) fn relay_to(&self, outbox: Outbox) {
        let _ = self.relay.set(outbox);
    }

    /// Sends `frame` to every member of `group`, on this node and the others.
    pub(crate) fn broadcast(&self, group: &str, frame: String) {
        if let Some(outbox) = self.relay.get() {
            outbox.send(Event::Group {
                group: group.to_owned(),
                frame: frame.clone(),
            });
        }
        self.layer.broadcast(group, Utf8Bytes::from(frame));
    }

    /// Another node's broadcast, to this node's members (and no further).
    pub(crate) fn apply(&self, event: &Event) {
        if let Event::Group { group, frame } = event {
            self.layer.broadcast(group, Utf8Bytes::from(frame.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::extract::ws::Utf8Bytes;
    use tokio::sync::mpsc;

    use super::{ChannelLayer, LocalChannels, Member};

    fn member(id: &str, room: usize) -> (Member, mpsc::Receiver<Utf8Bytes>) {
        let (out, received) = mpsc::channel(room);
        (
            Member {
                id: id.to_owned(),
                out,
            },
            received,
        )
    }

    #[test]
    fn a_broadcast_reaches_its_group_and_a_full_queue_holds_nobody_up() {
        let layer = LocalChannels::default();
        let (fast, mut fast_rx) = member("fast", 8);
        let (slow, mut slow_rx) = member("slow", 1);
        let (elsewhere, mut elsewhere_rx) = member("elsewhere", 8);
        layer.join("chat:a", fast);
        layer.join("chat:a", slow);
        layer.join("chat:b", elsewhere);
        for n in 0..3 {
            layer.broadcast("chat:a", Utf8Bytes::from(format!("m{n}")));
        }
        let received: Vec<String> = std::iter::from_fn(|| fast_rx.try_recv().ok())
            .map(|m| m.to_string())
            .collect();
        assert_eq!(received, ["m0", "m1", "m2"]);
        assert_eq!(
            slow_rx.try_recv().map(|m| m.to_string()).ok(),
            Some("m0".into())
        );
        assert!(
            slow_rx.try_recv().is_err(),
            "the slow member missed the rest"
        );
        assert!(
            elsewhere_rx.try_recv().is_err(),
            "another group hears nothing"
        );

        layer.leave_all("fast");
        layer.broadcast("chat:a", Utf8Bytes::from_static("after"));
        assert!(fast_rx.try_recv().is_err());
    }
}
