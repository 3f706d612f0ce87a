//! What crosses between the nodes of one app: the [`Broker`] that carries it, the [`Event`]s it
//! carries (a call's invalidation keys, a channel group's message, a session's end, a user's
//! change), and the numbering by which a node drops its own messages and notices what it missed.
//!
//! A node publishes each event once; every node (itself included, as the broker sees it) hears
//! it, drops its own, and fans it out to its own sockets. Each message carries its node's id and
//! a sequence number: a node that sees a gap in another's numbers, or whose broker tells it the
//! connection came back ([`Inbox::missed`]), has every open socket refetch what it watches
//! (and read its user again), so no change made during an outage stays stale on an open page.
//! Channel messages lost in an outage are lost, as on any pub/sub: only their groups' next
//! messages arrive.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast, mpsc};

/// How many messages a node queues for its broker; more are dropped (the other nodes see the gap
/// and resync).
pub const OUTBOX_CAPACITY: usize = 4096;

/// How many messages from the broker a node queues before fanning them out; more are dropped,
/// and the node resyncs its sockets.
pub const INBOX_CAPACITY: usize = 4096;

/// How many other nodes' numbers a node remembers; past that it starts again (a restarted node
/// comes back under a new id, so old ids pile up otherwise).
const MAX_KNOWN_NODES: usize = 1024;

/// Carries messages between the nodes of one app: Redis pub/sub, PostgreSQL's `LISTEN/NOTIFY`,
/// or [`InProcessBroker`] between sites of one process. A message is an opaque text; the broker
/// delivers each to every subscribed node, the sender included or not, in the order each
/// sender published them, and may lose some (the receivers notice by the numbers).
pub trait Broker: Send + Sync + 'static {
    /// Its name, for logs: `"redis"`, `"postgres"`, `"in-process"`.
    fn name(&self) -> &'static str;

    /// Sends `message` to every subscribed node. Called by one task per node, one message at a
    /// time, never by a request: a slow broker delays pushes, not calls.
    fn publish(&self, message: String) -> BoxFuture<'_, Result<(), BrokerError>>;

    /// The largest message it carries, in bytes (by default: any). A larger event is dropped by
    /// its sender, logged, and never numbered: the other nodes see no gap for it.
    fn max_message_bytes(&self) -> usize {
        usize::MAX
    }

    /// Starts handing every message the broker carries to `inbox`, until it is closed
    /// ([`Inbox::is_closed`]), and calls [`Inbox::missed`] whenever messages may have been lost
    /// (a connection that came back). Answers once the subscription is in place.
    fn subscribe(&self, inbox: Inbox) -> BoxFuture<'_, Result<(), BrokerError>>;
}

/// A broker could not do what a node asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The broker's server did not answer or refused (publishing, subscribing).
    #[error("the {broker} broker is unavailable: {reason}")]
    Unavailable {
        /// Which broker.
        broker: &'static str,
        /// What its client said.
        reason: String,
    },
    /// A message is larger than the broker carries (publishing).
    #[error("a message of {size} bytes is larger than the {broker} broker carries ({limit} bytes)")]
    TooLarge {
        /// Which broker.
        broker: &'static str,
        /// The message's size.
        size: usize,
        /// The most it carries.
        limit: usize,
    },
}

/// Whose sockets hear an invalidation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipients {
    /// Every socket watching what the keys cover.
    Everyone,
    /// The sockets of this signed-in user (keys of `per_user` contexts).
    User(i64),
    /// The sockets of this session (keys of `per_user` contexts, for a visitor not signed in).
    Session(String),
}

/// What one node tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A successful call's invalidation keys.
    Invalidate {
        /// The keys, as the call's answer names them.
        keys: Vec<String>,
        /// Whose sockets hear them.
        to: Recipients,
        /// The caller's own socket, which hears them in its answer, on whichever node it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    /// A message broadcast to a channel group: the frame each member receives.
    Group {
        /// The group.
        group: String,
        /// The `message` frame's text.
        frame: String,
    },
    /// A session ended (sign-out, or sign-in under a new id): its sockets close.
    SessionEnded {
        /// The session's id.
        session: String,
    },
    /// A user's account or rights changed: their sockets read them again.
    UserChanged {
        /// The user.
        user: i64,
        /// Whether their sockets refetch their `per_user` contexts too.
        refetch_own: bool,
    },
}

/// An event as it travels: who sent it and its number among that node's messages.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    node: String,
    seq: u64,
    #[serde(flatten)]
    event: Event,
}

/// Where a broker hands what it receives. Cloning gives another handle on the same inbox.
#[derive(Clone)]
pub struct Inbox {
    messages: mpsc::Sender<String>,
    signals: Arc<Signals>,
}

/// What an inbox tells its reader besides messages.
#[derive(Default)]
struct Signals {
    /// Messages may have been lost since the last resync.
    missed: AtomicBool,
    wake: Notify,
}

impl Inbox {
    /// A message from the broker. Never waits: when the node is that far behind, the message is
    /// dropped and the node resyncs its sockets.
    pub fn deliver(&self, message: String) {
        if self.messages.try_send(message).is_err() && !self.messages.is_closed() {
            tracing::warn!(
                capacity = INBOX_CAPACITY,
                "this node is too far behind its broker: a message was dropped, open pages \
                 refetch"
            );
            self.missed();
        }
    }

    /// Messages may have been lost (the broker's connection came back): the node's sockets
    /// refetch what they watch.
    pub fn missed(&self) {
        self.signals.missed.store(true, Ordering::SeqCst);
        self.signals.wake.notify_one();
    }

    /// Whether the node stopped reading: the broker can stop delivering.
    pub fn is_closed(&self) -> bool {
        self.messages.is_closed()
    }

    /// Waits until the node stops reading: a broker's receiving task can end then.
    pub async fn closed(&self) {
        self.messages.closed().await;
    }
}

/// What a node does with what it hears.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Fan this out to the node's own sockets.
    Event(Event),
    /// Messages may have been lost: have every open socket refetch what it watches.
    Resync,
}

/// The reading end of an [`Inbox`]: drops the node's own messages and turns gaps into resyncs.
pub(crate) struct Inbound {
    node: Arc<str>,
    messages: mpsc::Receiver<String>,
    signals: Arc<Signals>,
    /// The last number heard from each other node.
    last: HashMap<String, u64>,
}

impl Inbound {
    /// The next thing to do, or `None` once every [`Inbox`] is gone.
    pub(crate) async fn next(&mut self) -> Option<Delivery> {
        loop {
            if self.signals.missed.swap(false, Ordering::SeqCst) {
                return Some(Delivery::Resync);
            }
            let message = tokio::select! {
                biased;
                () = self.signals.wake.notified() => continue,
                message = self.messages.recv() => message?,
            };
            if let Some(delivery) = self.read(&message) {
                return Some(delivery);
            }
        }
    }

    /// One message: its event, a resync when it shows a gap, or nothing (this node's own, an
    /// old one, or unreadable).
    fn read(&mut self, message: &str) -> Option<Delivery> {
        let envelope: Envelope = match serde_json::from_str(message) {
            Ok(envelope) => envelope,
            Err(error) => {
                // Another version of the app, or something else on the broker's channel.
                tracing::warn!(%error, "a broker message this node cannot read: ignored");
                return None;
            }
        };
        if *envelope.node == *self.node {
            return None;
        }
        if self.last.len() >= MAX_KNOWN_NODES && !self.last.contains_key(&envelope.node) {
            self.last.clear();
        }
        let last = self.last.insert(envelope.node.clone(), envelope.seq);
        match last {
            Some(last) if envelope.seq <= last => {
                // Heard twice: keep the highest number.
                self.last.insert(envelope.node, last);
                None
            }
            Some(last) if envelope.seq > last + 1 => {
                tracing::info!(
                    node = %envelope.node,
                    missed = envelope.seq - last - 1,
                    "messages from another node were lost: open pages refetch"
                );
                // The event itself still applies; the resync covers what was lost, after it.
                self.signals.missed.store(true, Ordering::SeqCst);
                Some(Delivery::Event(envelope.event))
            }
            _ => Some(Delivery::Event(envelope.event)),
        }
    }
}

/// A new inbox and its reading end, for the node `node`.
pub(crate) fn inbox(node: Arc<str>) -> (Inbox, Inbound) {
    let (sender, messages) = mpsc::channel(INBOX_CAPACITY);
    let signals = Arc::new(Signals::default());
    (
        Inbox {
            messages: sender,
            signals: Arc::clone(&signals),
        },
        Inbound {
            node,
            messages,
            signals,
            last: HashMap::new(),
        },
    )
}

/// A node's sending end: numbers its events and hands them, in order, to one task that
/// publishes them. Cloning gives another handle on the same numbering.
#[derive(Clone)]
pub(crate) struct Outbox {
    node: Arc<str>,
    seq: Arc<Mutex<u64>>,
    queue: mpsc::Sender<String>,
    max_bytes: usize,
}

impl Outbox {
    /// Starts the task publishing through `broker` (on the current tokio runtime).
    pub(crate) fn start(node: Arc<str>, broker: Arc<dyn Broker>) -> Self {
        let max_bytes = broker.max_message_bytes();
        let (queue, mut pending) = mpsc::channel::<String>(OUTBOX_CAPACITY);
        tokio::spawn(async move {
            let mut failing = false;
            while let Some(message) = pending.recv().await {
                match broker.publish(message).await {
                    Ok(()) if failing => {
                        failing = false;
                        tracing::info!(broker = broker.name(), "publishing to the broker again");
                    }
                    Ok(()) => {}
                    // One line per outage, not per message.
                    Err(error) if !failing => {
                        failing = true;
                        tracing::warn!(%error, "a message to the other nodes was lost");
                    }
                    Err(error) => tracing::debug!(%error, "a message to the other nodes was lost"),
                }
            }
        });
        Self {
            node,
            seq: Arc::default(),
            queue,
            max_bytes,
        }
    }

    /// Sends `event` to the other nodes. Never waits: when the broker is that far behind, the
    /// event is dropped, and the other nodes see the gap.
    pub(crate) fn send(&self, event: Event) {
        // Taking the number and queueing go together, or a reader would see a later number
        // before an earlier one and drop that as a repeat.
        let mut seq = self
            .seq
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let envelope = Envelope {
            node: self.node.to_string(),
            seq: *seq + 1,
            event,
        };
        let text = match serde_json::to_string(&envelope) {
            Ok(text) => text,
            Err(error) => {
                tracing::error!(%error, "cannot write a message to the other nodes");
                return;
            }
        };
        if text.len() > self.max_bytes {
            // Not numbered: a message no broker could carry is no loss for the others to resync.
            tracing::warn!(
                size = text.len(),
                limit = self.max_bytes,
                "a message is larger than the broker carries: it reaches this node's sockets only"
            );
            return;
        }
        // Skipping a number, even for a message that is dropped, lets the others see the loss.
        *seq += 1;
        match self.queue.try_reserve() {
            Ok(permit) => permit.send(text),
            Err(_) => tracing::warn!(
                capacity = OUTBOX_CAPACITY,
                "the broker is too far behind: a message to the other nodes was dropped"
            ),
        }
    }
}

/// A broker between the sites of one process: what the tests of several nodes use, and a
/// model of the others. Clones share one bus.
#[derive(Clone)]
pub struct InProcessBroker {
    bus: broadcast::Sender<String>,
}

impl Default for InProcessBroker {
    fn default() -> Self {
        Self {
            bus: broadcast::channel(INBOX_CAPACITY).0,
        }
    }
}

impl Broker for InProcessBroker {
    fn name(&self) -> &'static str {
        "in-process"
    }

    fn publish(&self, message: String) -> BoxFuture<'_, Result<(), BrokerError>> {
        // No subscriber is no error: nobody to tell.
        let _ = self.bus.send(message);
        Box::pin(async { Ok(()) })
    }

    fn subscribe(&self, inbox: Inbox) -> BoxFuture<'_, Result<(), BrokerError>> {
        let mut bus = self.bus.subscribe();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    () = inbox.closed() => return,
                    received = bus.recv() => received,
                };
                match received {
                    Ok(message) => inbox.deliver(message),
                    Err(broadcast::error::RecvError::Lagged(_)) => inbox.missed(),
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Delivery, Envelope, Event, Recipients, inbox};

    fn message(node: &str, seq: u64, user: i64) -> String {
        serde_json::to_string(&Envelope {
            node: node.into(),
            seq,
            event: Event::UserChanged {
                user,
                refetch_own: false,
            },
        })
        .expect("json")
    }

    fn changed(user: i64) -> Option<Delivery> {
        Some(Delivery::Event(Event::UserChanged {
            user,
            refetch_own: false,
        }))
    }

    #[tokio::test]
    async fn a_node_drops_its_own_and_repeated_messages_and_resyncs_after_a_gap() {
        let (inbox, mut inbound) = inbox(Arc::from("a"));
        inbox.deliver(message("a", 1, 10));
        inbox.deliver(message("b", 1, 1));
        inbox.deliver(message("b", 2, 2));
        inbox.deliver(message("b", 2, 2));
        inbox.deliver(message("b", 5, 5));
        inbox.deliver(message("c", 9, 9));
        inbox.deliver("not json".into());
        inbox.deliver(message("b", 6, 6));
        assert_eq!(inbound.next().await, changed(1), "its own is dropped");
        assert_eq!(inbound.next().await, changed(2));
        assert_eq!(
            inbound.next().await,
            changed(5),
            "a repeat is dropped; after a gap the event still applies"
        );
        assert_eq!(
            inbound.next().await,
            Some(Delivery::Resync),
            "then a resync"
        );
        assert_eq!(
            inbound.next().await,
            changed(9),
            "a node heard first is no gap"
        );
        assert_eq!(
            inbound.next().await,
            changed(6),
            "an unreadable message is skipped"
        );
        inbox.missed();
        assert_eq!(inbound.next().await, Some(Delivery::Resync));
        drop(inbox);
        assert_eq!(inbound.next().await, None);
    }

    /// Keeps what it is asked to publish; carries at most 200 bytes.
    #[derive(Default)]
    struct Small(std::sync::Mutex<Vec<String>>);

    impl super::Broker for Small {
        fn name(&self) -> &'static str {
            "small"
        }
        fn publish(
            &self,
            message: String,
        ) -> futures::future::BoxFuture<'_, Result<(), super::BrokerError>> {
            self.0.lock().expect("lock").push(message);
            Box::pin(async { Ok(()) })
        }
        fn max_message_bytes(&self) -> usize {
            200
        }
        fn subscribe(
            &self,
            _inbox: super::Inbox,
        ) -> futures::future::BoxFuture<'_, Result<(), super::BrokerError>> {
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn a_message_too_large_for_the_broker_stays_home_and_takes_no_number() {
        let broker = Arc::new(Small::default());
        let outbox = super::Outbox::start(
            Arc::from("n"),
            Arc::clone(&broker) as Arc<dyn super::Broker>,
        );
        let group = |frame: String| Event::Group {
            group: "chat:a".into(),
            frame,
        };
        outbox.send(group("x".repeat(500)));
        outbox.send(group("small".into()));
        for _ in 0..100 {
            if !broker.0.lock().expect("lock").is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let sent = broker.0.lock().expect("lock").clone();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(
            sent[0].starts_with(r#"{"node":"n","seq":1,"#),
            "numbered first: the others see no gap ({})",
            sent[0]
        );
    }

    #[test]
    fn events_travel_as_flat_json_with_their_node_and_number() {
        let text = serde_json::to_string(&Envelope {
            node: "n1".into(),
            seq: 3,
            event: Event::Invalidate {
                keys: vec!["site_stats".into()],
                to: Recipients::User(7),
                origin: None,
            },
        })
        .expect("json");
        assert_eq!(
            text,
            r#"{"node":"n1","seq":3,"event":"invalidate","keys":["site_stats"],"to":{"user":7}}"#
        );
    }
}
