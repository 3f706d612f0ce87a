//! The open sockets of this server and what each watches: a successful call's keys reach every
//! other socket watching an instance they cover, coalesced, and a session's end closes its
//! sockets.
//!
//! Coalescing: a socket's pending keys are a set, sent by its writer after a short window, so a
//! burst of calls is one `invalidate` frame with each watched instance once, however many calls
//! changed it. The set is bounded by what the socket watches: a slow client never makes the
//! server queue more.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU8, Ordering},
    },
};

use serde_json::Value;
use tokio::sync::Notify;
use tower_sessions::session::Id;

use crate::invalidation::ContextKey;

/// Most context instances one socket may watch; more are refused.
pub const MAX_WATCHED: usize = 256;

/// The sockets of this server process.
#[derive(Clone, Default)]
pub struct Hub {
    connections: Arc<Mutex<HashMap<String, Arc<Connection>>>>,
    /// Which sockets watch something of each context: a call's keys are compared with those
    /// sockets only, not with every open socket.
    watchers: Arc<Watchers>,
    /// Set by [`Hub::close_all`]: sockets opened later are closed at once.
    shutting_down: Arc<AtomicBool>,
}

/// Context name → the ids of the sockets watching something of it.
#[derive(Default)]
struct Watchers(Mutex<HashMap<String, HashSet<String>>>);

impl Watchers {
    /// The socket `id` no longer watches anything of context `name`.
    fn forget(watchers: &mut HashMap<String, HashSet<String>>, name: &str, id: &str) {
        if let Some(ids) = watchers.get_mut(name) {
            ids.remove(id);
            if ids.is_empty() {
                watchers.remove(name);
            }
        }
    }
}

/// The watched instances of one context: canonical key → params.
type Instances = BTreeMap<String, BTreeMap<String, Value>>;

/// One open socket, as the hub sees it.
pub struct Connection {
    id: String,
    session: Option<Id>,
    watchers: Arc<Watchers>,
    /// Watched instances by context name.
    watched: Mutex<BTreeMap<String, Instances>>,
    pending: Mutex<BTreeSet<String>>,
    wake: Notify,
    closed: AtomicU8,
}

/// Why the hub closes a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Closing {
    /// Its session ended (sign-out, or sign-in under a new id): the client reconnects at once,
    /// as who it now is (close code 4001).
    SessionEnded,
    /// The server is shutting down: the client reconnects with its backoff (close code 1001).
    ShuttingDown,
}

const OPEN: u8 = 0;
const CLOSED_SESSION_ENDED: u8 = 1;
const CLOSED_SHUTTING_DOWN: u8 = 2;

/// Locks, recovering the data of a poisoned lock: each holder leaves the maps consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    /// A new socket of `session` (if it has one), with a fresh random id.
    pub fn register(&self, session: Option<Id>) -> Arc<Connection> {
        let shutting_down = self.shutting_down.load(Ordering::SeqCst);
        let connection = Arc::new(Connection {
            // 128 random bits, like a session id: not guessable by another client.
            id: Id::default().to_string(),
            session,
            watchers: Arc::clone(&self.watchers),
            watched: Mutex::new(BTreeMap::new()),
            pending: Mutex::new(BTreeSet::new()),
            wake: Notify::new(),
            // Opened during a shutdown: closed from the start, so it cannot hold the shutdown up.
            closed: AtomicU8::new(if shutting_down {
                CLOSED_SHUTTING_DOWN
            } else {
                OPEN
            }),
        });
        if shutting_down {
            // The writer may not wait yet: the permit waits for it.
            connection.wake.notify_one();
        }
        lock(&self.connections).insert(connection.id.clone(), Arc::clone(&connection));
        connection
    }

    /// Forgets a closed socket.
    pub fn unregister(&self, connection: &Connection) {
        lock(&self.connections).remove(&connection.id);
        let names: Vec<String> = lock(&connection.watched).keys().cloned().collect();
        let mut watchers = lock(&self.watchers.0);
        for name in names {
            Watchers::forget(&mut watchers, &name, &connection.id);
        }
    }

    /// How many sockets are open.
    pub fn len(&self) -> usize {
        lock(&self.connections).len()
    }

    /// Whether no socket is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands a successful call's `keys` to every socket watching an instance one of them covers,
    /// except `origin` (the caller's own socket: its answer carries the keys).
    pub fn publish(&self, keys: &[String], origin: Option<&str>) {
        let parsed: Vec<ContextKey> = keys
            .iter()
            .filter_map(|key| ContextKey::parse(key).ok())
            .collect();
        if parsed.is_empty() {
            return;
        }
        let ids: HashSet<String> = {
            let watchers = lock(&self.watchers.0);
            parsed
                .iter()
                .filter_map(|key| watchers.get(key.name()))
                .flatten()
                .filter(|id| Some(id.as_str()) != origin)
                .cloned()
                .collect()
        };
        if ids.is_empty() {
            return;
        }
        let connections: Vec<Arc<Connection>> = {
            let all = lock(&self.connections);
            ids.iter().filter_map(|id| all.get(id).cloned()).collect()
        };
        for connection in connections {
            connection.notice(&parsed);
        }
    }

    /// Closes every open socket and event stream: the server is shutting down, and a graceful
    /// shutdown would otherwise wait for streams that never end. [`Site::serve`] calls it when
    /// its shutdown signal arrives; an app serving the router itself calls it from its own.
    ///
    /// [`Site::serve`]: super::Site::serve
    pub fn close_all(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let open: Vec<Arc<Connection>> = lock(&self.connections).values().cloned().collect();
        for connection in open {
            connection.close_for(Closing::ShuttingDown);
        }
    }

    /// Closes every socket of `session` (signed out, or signed in under a new id): they were
    /// opened as a user the session no longer is.
    pub fn end_session(&self, session: &Id) {
        let ended: Vec<Arc<Connection>> = lock(&self.connections)
            .values()
            .filter(|connection| connection.session.as_ref() == Some(session))
            .cloned()
            .collect();
        for connection in ended {
            connection.close();
        }
    }
}

impl Connection {
    /// Its id, sent to the client in the `hello` frame.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The session it was opened in, if any.
    pub fn session(&self) -> Option<&Id> {
        self.session.as_ref()
    }

    /// Starts pushing the invalidations of `key`'s instance; `false` when the socket already
    /// watches [`MAX_WATCHED`] instances.
    pub fn watch(&self, key: &ContextKey) -> bool {
        let mut watched = lock(&self.watched);
        let count: usize = watched.values().map(BTreeMap::len).sum();
        let instances = watched.entry(key.name().to_owned()).or_default();
        let text = key.to_string();
        if !instances.contains_key(&text) && count >= MAX_WATCHED {
            if instances.is_empty() {
                watched.remove(key.name());
            }
            return false;
        }
        let first = instances.is_empty();
        instances.insert(text, key.params().clone());
        if first {
            lock(&self.watchers.0)
                .entry(key.name().to_owned())
                .or_default()
                .insert(self.id.clone());
        }
        true
    }

    /// Stops pushing the invalidations of `key`'s instance.
    pub fn unwatch(&self, key: &ContextKey) {
        let mut watched = lock(&self.watched);
        if let Some(instances) = watched.get_mut(key.name()) {
            instances.remove(&key.to_string());
            if instances.is_empty() {
                watched.remove(key.name());
                Watchers::forget(&mut lock(&self.watchers.0), key.name(), &self.id);
            }
        }
    }

    /// Adds what the socket should refetch to the pending set, and wakes the writer. Each
    /// published key is compared with each watched key of its context, and when they can name
    /// the same instance (every param both name agrees) the *watched* key is sent: a socket only
    /// ever hears keys it asked for, never the params of other users' instances (a socket
    /// watching a whole context hears its name). The pending set is therefore bounded by what
    /// the socket watches.
    fn notice(&self, keys: &[ContextKey]) {
        let covered: Vec<String> = {
            let watched = lock(&self.watched);
            let mut covered = Vec::new();
            for key in keys {
                let Some(instances) = watched.get(key.name()) else {
                    continue;
                };
                for (watched_text, params) in instances {
                    if overlaps(key, params) {
                        covered.push(watched_text.clone());
                    }
                }
            }
            covered
        };
        if covered.is_empty() {
            return;
        }
        lock(&self.pending).extend(covered);
        self.wake.notify_one();
    }

    /// Waits until keys are pending or the socket is closed.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// The pending keys, emptied (each watched instance once).
    pub fn take_pending(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.pending))
            .into_iter()
            .collect()
    }

    /// Marks the socket closed because its session ended, and wakes its writer, which ends it.
    pub fn close(&self) {
        self.close_for(Closing::SessionEnded);
    }

    /// Marks the socket closed for `why`, and wakes its writer, which ends it.
    pub fn close_for(&self, why: Closing) {
        let code = match why {
            Closing::SessionEnded => CLOSED_SESSION_ENDED,
            Closing::ShuttingDown => CLOSED_SHUTTING_DOWN,
        };
        // The first reason stays: a socket closed for its session is not reopened by a shutdown.
        let _ = self
            .closed
            .compare_exchange(OPEN, code, Ordering::SeqCst, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Whether the hub closed the socket.
    pub fn is_closed(&self) -> bool {
        self.closing().is_some()
    }

    /// Why the hub closed the socket, if it did.
    pub fn closing(&self) -> Option<Closing> {
        match self.closed.load(Ordering::SeqCst) {
            CLOSED_SESSION_ENDED => Some(Closing::SessionEnded),
            CLOSED_SHUTTING_DOWN => Some(Closing::ShuttingDown),
            _ => None,
        }
    }
}

/// Whether `key` and an instance watched with `params` can name the same instance: every param
/// both name has one value.
fn overlaps(key: &ContextKey, params: &BTreeMap<String, Value>) -> bool {
    key.params()
        .iter()
        .all(|(name, value)| params.get(name).is_none_or(|watched| watched == value))
}

#[cfg(test)]
mod tests {
    use super::Hub;
    use crate::invalidation::ContextKey;

    fn key(text: &str) -> ContextKey {
        ContextKey::parse(text).expect("a key")
    }

    #[test]
    fn keys_reach_the_sockets_watching_what_they_cover_each_instance_once() {
        let hub = Hub::default();
        let one = hub.register(None);
        let two = hub.register(None);
        assert!(one.watch(&key(r#"user_profile:{"user_id":1}"#)));
        assert!(one.watch(&key("current_user")));
        assert!(two.watch(&key(r#"user_profile:{"user_id":2}"#)));

        // A burst: three calls before the writers run.
        hub.publish(&[r#"user_profile:{"user_id":1}"#.into()], None);
        hub.publish(&["user_profile".into(), "current_user".into()], None);
        hub.publish(&["site_stats".into()], None);
        assert_eq!(
            one.take_pending(),
            ["current_user", r#"user_profile:{"user_id":1}"#],
            "coalesced: each watched instance once"
        );
        assert_eq!(two.take_pending(), [r#"user_profile:{"user_id":2}"#]);
        assert!(one.take_pending().is_empty(), "taken");
    }

    #[test]
    fn a_socket_hears_only_the_keys_it_watches_never_other_instances_params() {
        let hub = Hub::default();
        let socket = hub.register(None);
        socket.watch(&key("user_profile"));
        socket.watch(&key(r#"feed:{"user_id":1}"#));
        hub.publish(
            &[
                r#"user_profile:{"user_id":3}"#.into(),
                r#"feed:{"tab":"new","user_id":1}"#.into(),
                r#"feed:{"user_id":2}"#.into(),
            ],
            None,
        );
        assert_eq!(
            socket.take_pending(),
            [r#"feed:{"user_id":1}"#, "user_profile"],
            "the watched keys, not user 3's or the tab's"
        );
    }

    #[test]
    fn the_callers_own_socket_and_unwatched_instances_get_nothing() {
        let hub = Hub::default();
        let caller = hub.register(None);
        let other = hub.register(None);
        caller.watch(&key("current_user"));
        other.watch(&key("current_user"));
        other.unwatch(&key("current_user"));
        hub.publish(&["current_user".into()], Some(caller.id()));
        assert!(caller.take_pending().is_empty());
        assert!(other.take_pending().is_empty());
    }

    #[test]
    fn a_socket_watches_a_bounded_number_of_instances() {
        let hub = Hub::default();
        let socket = hub.register(None);
        for n in 0..super::MAX_WATCHED {
            assert!(socket.watch(&key(&format!(r#"p:{{"n":{n}}}"#))));
        }
        assert!(!socket.watch(&key(r#"p:{"n":-1}"#)));
        assert!(
            socket.watch(&key(r#"p:{"n":0}"#)),
            "watching again is no new instance"
        );
    }

    #[test]
    fn the_index_of_watchers_follows_watches_and_closed_sockets() {
        let hub = Hub::default();
        let socket = hub.register(None);
        socket.watch(&key(r#"p:{"n":1}"#));
        socket.watch(&key(r#"p:{"n":2}"#));
        socket.unwatch(&key(r#"p:{"n":1}"#));
        hub.publish(&["p".into()], None);
        assert_eq!(
            socket.take_pending(),
            [r#"p:{"n":2}"#],
            "still indexed while one is watched"
        );
        socket.unwatch(&key(r#"p:{"n":2}"#));
        assert!(
            super::lock(&hub.watchers.0).is_empty(),
            "the last unwatch leaves the index"
        );
        socket.watch(&key("q"));
        hub.unregister(&socket);
        assert!(
            super::lock(&hub.watchers.0).is_empty(),
            "a closed socket leaves the index"
        );
    }

    #[test]
    fn ending_a_session_closes_its_sockets_only() {
        let hub = Hub::default();
        let session = tower_sessions::session::Id::default();
        let mine = hub.register(Some(session));
        let other = hub.register(Some(tower_sessions::session::Id::default()));
        let anonymous = hub.register(None);
        hub.end_session(&session);
        assert!(mine.is_closed());
        assert!(!other.is_closed() && !anonymous.is_closed());
        hub.unregister(&mine);
        assert_eq!(hub.len(), 2);
    }

    #[test]
    fn a_shutdown_closes_every_socket_and_keeps_the_first_reason() {
        let hub = Hub::default();
        let session = tower_sessions::session::Id::default();
        let signed_out = hub.register(Some(session));
        let open = hub.register(None);
        hub.end_session(&session);
        hub.close_all();
        assert_eq!(signed_out.closing(), Some(super::Closing::SessionEnded));
        assert_eq!(open.closing(), Some(super::Closing::ShuttingDown));
        assert_eq!(
            hub.register(None).closing(),
            Some(super::Closing::ShuttingDown),
            "a socket opened during the shutdown cannot hold it up"
        );
    }
}
