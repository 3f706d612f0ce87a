//! The open sockets of this server and what each watches: a successful call's keys reach every
//! other socket watching an instance they cover, coalesced; a session's end closes its sockets,
//! a change to a user has theirs check who they act as; and no session or client address holds
//! more than its [`Limits`] allow.
//!
//! Coalescing: a socket's pending keys are a set, which its writer sends at once after a quiet
//! window and otherwise at the end of the window, so a burst of calls is at most one more
//! `invalidate` frame with each watched instance once, however many calls changed it. The set is
//! bounded by what the socket watches: a slow client never makes the server queue more.
//!
//! With a [`Broker`](super::broker::Broker), each of these events is also told once to the
//! app's other nodes, which fan it out to their own sockets ([`Hub::apply`]).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    net::IpAddr,
    sync::{
        Arc, Mutex, MutexGuard, OnceLock,
        atomic::{AtomicBool, AtomicU8, Ordering},
    },
};

use serde_json::Value;
use tokio::sync::Notify;
use tower_sessions::session::Id;

use super::{
    broker::{Event, Outbox, Recipients},
    limits::Limits,
};
use crate::{error::MizanError, invalidation::ContextKey};

/// Most context instances one socket may watch; more are refused.
pub const MAX_WATCHED: usize = 256;

/// The sockets of this server process.
#[derive(Clone, Default)]
pub struct Hub {
    open: Arc<Mutex<Open>>,
    limits: Limits,
    /// Which sockets watch something of each context: a call's keys are compared with those
    /// sockets only, not with every open socket.
    watchers: Arc<Watchers>,
    /// Set by [`Hub::close_all`]: sockets opened later are closed at once.
    shutting_down: Arc<AtomicBool>,
    /// Woken by [`Hub::close_all`]: the link to the other nodes ends with the server.
    shut_down: Arc<Notify>,
    /// Where the events of this node go to the others, once a broker is set.
    relay: Arc<OnceLock<Outbox>>,
}

/// The open sockets, by id and by whom they belong to: a session's end or a user's change finds
/// its sockets without looking at the others, and the caps are counted here.
#[derive(Default)]
struct Open {
    connections: HashMap<String, Arc<Connection>>,
    by_session: HashMap<Id, HashSet<String>>,
    by_user: HashMap<i64, HashSet<String>>,
    by_address: HashMap<IpAddr, usize>,
}

/// Who made a call, as [`Hub::publish_to_caller`] finds their sockets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    /// Their session, if any.
    pub session: Option<&'a Id>,
    /// Their user, when signed in.
    pub user: Option<i64>,
}

/// Whom a socket belongs to: what [`Hub::register`] counts and indexes it by.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner {
    /// The session it was opened in, if any.
    pub session: Option<Id>,
    /// The signed-in user it acts as, if any.
    pub user: Option<i64>,
    /// The client's address, when the server knows it.
    pub address: Option<IpAddr>,
}

/// Removes `id` from the set under `key`, and the set when it empties.
fn forget_in<K: std::hash::Hash + Eq>(index: &mut HashMap<K, HashSet<String>>, key: &K, id: &str) {
    if let Some(ids) = index.get_mut(key) {
        ids.remove(id);
        if ids.is_empty() {
            index.remove(key);
        }
    }
}

/// Context name → the ids of the sockets watching something of it.
#[derive(Default)]
struct Watchers(Mutex<HashMap<String, HashSet<String>>>);

impl Watchers {
    /// The socket `id` no longer watches anything of context `name`.
    fn forget(watchers: &mut HashMap<String, HashSet<String>>, name: &str, id: &str) {
        forget_in(watchers, &name.to_owned(), id);
    }
}

/// The watched instances of one context: canonical key → params.
type Instances = BTreeMap<String, BTreeMap<String, Value>>;

/// One open socket, as the hub sees it.
pub struct Connection {
    id: String,
    owner: Owner,
    watchers: Arc<Watchers>,
    /// Watched instances by context name.
    watched: Mutex<BTreeMap<String, Instances>>,
    pending: Mutex<BTreeSet<String>>,
    wake: Notify,
    closed: AtomicU8,
    /// Woken when the socket's user changed: its loop checks who it acts as.
    identity: Notify,
    /// Set with `identity` when the change came from another caller: the socket then refetches
    /// its `per_user` contexts too (a caller's own change reaches it through the call's keys).
    refetch_own: AtomicBool,
}

/// Why the hub closes a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Closing {
    /// Its session ended (sign-out, or sign-in under a new id), or its user changed: the client
    /// reconnects at once, as who it now is (close code 4001).
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
    /// A hub whose sockets are bounded by `limits`.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// A hub like this one with other limits, telling the same broker.
    pub(crate) fn relimited(&self, limits: Limits) -> Self {
        Self {
            relay: Arc::clone(&self.relay),
            ..Self::with_limits(limits)
        }
    }

    /// Tells the app's other nodes, through `outbox`, what happens here (once: a node is
    /// linked once, [`Hub::is_linked`]).
    pub(crate) fn relay_to(&self, outbox: Outbox) {
        let _ = self.relay.set(outbox);
    }

    /// Whether it tells other nodes.
    pub(crate) fn is_linked(&self) -> bool {
        self.relay.get().is_some()
    }

    /// Waits until [`Hub::close_all`] was called.
    pub(crate) async fn closed(&self) {
        let notified = self.shut_down.notified();
        if self.shutting_down.load(Ordering::SeqCst) {
            return;
        }
        notified.await;
    }

    /// Tells the other nodes, when there are any.
    fn relay(&self, event: impl FnOnce() -> Event) {
        if let Some(outbox) = self.relay.get() {
            outbox.send(event());
        }
    }

    /// A new socket of `owner`, with a fresh random id; `RATE_LIMITED` when its session or its
    /// address already holds as many as the [`Limits`] allow.
    pub fn register(&self, owner: Owner) -> Result<Arc<Connection>, MizanError> {
        let mut open = lock(&self.open);
        if let Some(session) = &owner.session
            && open.by_session.get(session).map_or(0, HashSet::len)
                >= self.limits.sockets_per_session
        {
            return Err(MizanError::rate_limited(format!(
                "this session has {} sockets open, the most it may: close a tab, or try again \
                 later",
                self.limits.sockets_per_session
            )));
        }
        if let Some(address) = &owner.address
            && open.by_address.get(address).copied().unwrap_or(0) >= self.limits.sockets_per_address
        {
            return Err(MizanError::rate_limited(format!(
                "this address has {} sockets open, the most it may: try again later",
                self.limits.sockets_per_address
            )));
        }
        let shutting_down = self.shutting_down.load(Ordering::SeqCst);
        let connection = Arc::new(Connection {
            // 128 random bits, like a session id: not guessable by another client.
            id: Id::default().to_string(),
            owner,
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
            identity: Notify::new(),
            refetch_own: AtomicBool::new(false),
        });
        if shutting_down {
            // The writer may not wait yet: the permit waits for it.
            connection.wake.notify_one();
        }
        let id = connection.id.clone();
        if let Some(session) = owner.session {
            open.by_session
                .entry(session)
                .or_default()
                .insert(id.clone());
        }
        if let Some(user) = owner.user {
            open.by_user.entry(user).or_default().insert(id.clone());
        }
        if let Some(address) = owner.address {
            *open.by_address.entry(address).or_default() += 1;
        }
        open.connections.insert(id, Arc::clone(&connection));
        Ok(connection)
    }

    /// Forgets a closed socket (again: nothing).
    pub fn unregister(&self, connection: &Connection) {
        {
            let mut open = lock(&self.open);
            if open.connections.remove(&connection.id).is_none() {
                return;
            }
            let owner = connection.owner;
            if let Some(session) = &owner.session {
                forget_in(&mut open.by_session, session, &connection.id);
            }
            if let Some(user) = &owner.user {
                forget_in(&mut open.by_user, user, &connection.id);
            }
            if let Some(address) = owner.address
                && let Some(count) = open.by_address.get_mut(&address)
            {
                *count -= 1;
                if *count == 0 {
                    open.by_address.remove(&address);
                }
            }
        }
        let names: Vec<String> = lock(&connection.watched).keys().cloned().collect();
        let mut watchers = lock(&self.watchers.0);
        for name in names {
            Watchers::forget(&mut watchers, &name, &connection.id);
        }
    }

    /// How many sockets are open.
    pub fn len(&self) -> usize {
        lock(&self.open).connections.len()
    }

    /// Whether no socket is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands a successful call's `keys` to every socket watching an instance one of them covers,
    /// except `origin` (the caller's own socket: its answer carries the keys).
    pub fn publish(&self, keys: &[String], origin: Option<&str>) {
        self.deliver(keys, origin, None);
        self.relay(|| Event::Invalidate {
            keys: keys.to_vec(),
            to: Recipients::Everyone,
            origin: origin.map(str::to_owned),
        });
    }

    /// The same for keys of `per_user` contexts: only the sockets of `caller` hear them (the
    /// user's, when signed in, else the session's), since another caller's value of such a
    /// context did not change. A caller with neither has no socket to tell.
    pub fn publish_to_caller(&self, keys: &[String], origin: Option<&str>, caller: Caller<'_>) {
        let to = match caller {
            Caller {
                user: Some(user), ..
            } => Recipients::User(user),
            Caller {
                session: Some(session),
                ..
            } => Recipients::Session(session.to_string()),
            Caller { .. } => return,
        };
        self.deliver_to(keys, origin, &to);
        self.relay(|| Event::Invalidate {
            keys: keys.to_vec(),
            to,
            origin: origin.map(str::to_owned),
        });
    }

    /// Notices `keys` on the sockets of `to` watching what they cover.
    fn deliver_to(&self, keys: &[String], origin: Option<&str>, to: &Recipients) {
        let members = {
            let open = lock(&self.open);
            match to {
                Recipients::Everyone => None,
                Recipients::User(user) => open.by_user.get(user).cloned(),
                Recipients::Session(session) => session
                    .parse::<Id>()
                    .ok()
                    .and_then(|session| open.by_session.get(&session).cloned()),
            }
        };
        match (to, members) {
            (Recipients::Everyone, _) => self.deliver(keys, origin, None),
            (_, Some(members)) => self.deliver(keys, origin, Some(&members)),
            (_, None) => {}
        }
    }

    /// What another node told: done here as if it had happened here, and told no further.
    /// A channel group's message is the channel hub's, not this one's.
    pub(crate) fn apply(&self, event: &Event) {
        match event {
            Event::Invalidate { keys, to, origin } => self.deliver_to(keys, origin.as_deref(), to),
            Event::SessionEnded { session } => {
                if let Ok(session) = session.parse::<Id>() {
                    self.end_session_here(&session);
                }
            }
            Event::UserChanged { user, refetch_own } => {
                self.user_changed_here(*user, *refetch_own);
            }
            Event::Group { .. } => {}
        }
    }

    /// Messages from other nodes may have been lost: every open socket refetches everything it
    /// watches and reads its user again (a session ended or a user changed meanwhile).
    pub(crate) fn resync(&self) {
        let open: Vec<Arc<Connection>> = lock(&self.open).connections.values().cloned().collect();
        for connection in open {
            connection.resync();
        }
    }

    /// Notices `keys` on the sockets watching what they cover, among `members` when given.
    fn deliver(&self, keys: &[String], origin: Option<&str>, members: Option<&HashSet<String>>) {
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
                .filter(|id| members.is_none_or(|members| members.contains(*id)))
                .cloned()
                .collect()
        };
        if ids.is_empty() {
            return;
        }
        let connections: Vec<Arc<Connection>> = {
            let open = lock(&self.open);
            ids.iter()
                .filter_map(|id| open.connections.get(id).cloned())
                .collect()
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
        self.shut_down.notify_waiters();
        let open: Vec<Arc<Connection>> = lock(&self.open).connections.values().cloned().collect();
        for connection in open {
            connection.close_for(Closing::ShuttingDown);
        }
    }

    /// Closes every socket of `session` (signed out, or signed in under a new id): they were
    /// opened as a user the session no longer is.
    pub fn end_session(&self, session: &Id) {
        self.end_session_here(session);
        self.relay(|| Event::SessionEnded {
            session: session.to_string(),
        });
    }

    /// Closes this node's sockets of `session`.
    fn end_session_here(&self, session: &Id) {
        let ended = {
            let open = lock(&self.open);
            Self::members(&open, open.by_session.get(session))
        };
        for connection in ended {
            connection.close();
        }
    }

    /// Has every socket acting as user `user_id` read its session and user again (their
    /// account, name or rights changed): each goes on as the user now is, or closes (4001) when
    /// it would act as someone else or with other rights. With `refetch_own` (the change was
    /// made by another caller: staff renaming the user), each also refetches the `per_user`
    /// contexts it watches, since what the user sees of themselves may have changed with them.
    pub fn user_changed(&self, user_id: i64, refetch_own: bool) {
        self.user_changed_here(user_id, refetch_own);
        self.relay(|| Event::UserChanged {
            user: user_id,
            refetch_own,
        });
    }

    /// Has this node's sockets of `user_id` read their user again.
    fn user_changed_here(&self, user_id: i64, refetch_own: bool) {
        let changed = {
            let open = lock(&self.open);
            Self::members(&open, open.by_user.get(&user_id))
        };
        for connection in changed {
            if refetch_own {
                connection.refetch_own.store(true, Ordering::SeqCst);
            }
            connection.identity.notify_one();
        }
    }

    /// The connections of an index entry.
    fn members(open: &Open, ids: Option<&HashSet<String>>) -> Vec<Arc<Connection>> {
        ids.into_iter()
            .flatten()
            .filter_map(|id| open.connections.get(id).cloned())
            .collect()
    }
}

impl Connection {
    /// Its id, sent to the client in the `hello` frame.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The session it was opened in, if any.
    pub fn session(&self) -> Option<&Id> {
        self.owner.session.as_ref()
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
    pub(crate) fn notice(&self, keys: &[ContextKey]) {
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

    /// Has the socket refetch every instance it watches and read its user again.
    fn resync(&self) {
        let all: Vec<String> = lock(&self.watched)
            .values()
            .flat_map(|instances| instances.keys().cloned())
            .collect();
        if !all.is_empty() {
            lock(&self.pending).extend(all);
            self.wake.notify_one();
        }
        self.identity.notify_one();
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

    /// Waits until the socket's user changed ([`Hub::user_changed`]).
    pub async fn user_changed(&self) {
        self.identity.notified().await;
    }

    /// Whether the last change of its user asked it to refetch its `per_user` contexts (and
    /// forgets it).
    pub fn take_refetch_own(&self) -> bool {
        self.refetch_own.swap(false, Ordering::SeqCst)
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
    use super::{Caller, Hub, Owner};
    use crate::{invalidation::ContextKey, server::limits::Limits};

    fn in_session(session: tower_sessions::session::Id) -> Owner {
        Owner {
            session: Some(session),
            ..Owner::default()
        }
    }

    fn key(text: &str) -> ContextKey {
        ContextKey::parse(text).expect("a key")
    }

    #[test]
    fn keys_reach_the_sockets_watching_what_they_cover_each_instance_once() {
        let hub = Hub::default();
        let one = hub.register(Owner::default()).expect("open");
        let two = hub.register(Owner::default()).expect("open");
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
        let socket = hub.register(Owner::default()).expect("open");
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
        let caller = hub.register(Owner::default()).expect("open");
        let other = hub.register(Owner::default()).expect("open");
        caller.watch(&key("current_user"));
        other.watch(&key("current_user"));
        other.unwatch(&key("current_user"));
        hub.publish(&["current_user".into()], Some(caller.id()));
        assert!(caller.take_pending().is_empty());
        assert!(other.take_pending().is_empty());
    }

    #[test]
    fn a_callers_own_keys_reach_only_their_own_sockets() {
        let hub = Hub::default();
        let (alice_session, bob_session, visitor_session) = (
            tower_sessions::session::Id::default(),
            tower_sessions::session::Id::default(),
            tower_sessions::session::Id::default(),
        );
        let signed_in = |session, user| Owner {
            session: Some(session),
            user: Some(user),
            ..Owner::default()
        };
        let alice_here = hub.register(signed_in(alice_session, 1)).expect("open");
        let alice_there = hub.register(signed_in(alice_session, 1)).expect("open");
        let bob = hub.register(signed_in(bob_session, 2)).expect("open");
        let visitor = hub.register(in_session(visitor_session)).expect("open");
        let other_visitor = hub.register(Owner::default()).expect("open");
        for socket in [&alice_here, &alice_there, &bob, &visitor, &other_visitor] {
            socket.watch(&key("current_user"));
        }

        let alice = Caller {
            session: Some(&alice_session),
            user: Some(1),
        };
        hub.publish_to_caller(&["current_user".into()], Some(alice_here.id()), alice);
        assert!(
            alice_here.take_pending().is_empty(),
            "its answer carries the keys"
        );
        assert_eq!(
            alice_there.take_pending(),
            ["current_user"],
            "her other tab"
        );
        assert!(bob.take_pending().is_empty(), "bob's value did not change");
        assert!(visitor.take_pending().is_empty());

        // A visitor who is not signed in: their session's sockets.
        let anonymous = Caller {
            session: Some(&visitor_session),
            user: None,
        };
        hub.publish_to_caller(&["current_user".into()], None, anonymous);
        assert_eq!(visitor.take_pending(), ["current_user"]);
        assert!(other_visitor.take_pending().is_empty());
        assert!(bob.take_pending().is_empty());
        // Nobody known: nobody told.
        hub.publish_to_caller(&["current_user".into()], None, Caller::default());
        for socket in [&alice_there, &bob, &visitor, &other_visitor] {
            assert!(socket.take_pending().is_empty());
        }
    }

    #[test]
    fn a_socket_watches_a_bounded_number_of_instances() {
        let hub = Hub::default();
        let socket = hub.register(Owner::default()).expect("open");
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
        let socket = hub.register(Owner::default()).expect("open");
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
        let mine = hub.register(in_session(session)).expect("open");
        let other = hub
            .register(in_session(tower_sessions::session::Id::default()))
            .expect("open");
        let anonymous = hub.register(Owner::default()).expect("open");
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
        let signed_out = hub.register(in_session(session)).expect("open");
        let open = hub.register(Owner::default()).expect("open");
        hub.end_session(&session);
        hub.close_all();
        assert_eq!(signed_out.closing(), Some(super::Closing::SessionEnded));
        assert_eq!(open.closing(), Some(super::Closing::ShuttingDown));
        assert_eq!(
            hub.register(Owner::default()).expect("open").closing(),
            Some(super::Closing::ShuttingDown),
            "a socket opened during the shutdown cannot hold it up"
        );
    }

    #[test]
    fn a_session_and_an_address_hold_at_most_their_limits_and_closing_frees_a_place() {
        let hub = Hub::with_limits(Limits {
            sockets_per_session: 2,
            sockets_per_address: 3,
            ..Limits::default()
        });
        let session = tower_sessions::session::Id::default();
        let address = Some("203.0.113.9".parse().expect("address"));
        let in_both = Owner {
            session: Some(session),
            address,
            ..Owner::default()
        };
        let first = hub.register(in_both).expect("first");
        hub.register(in_both).expect("second");
        let Err(error) = hub.register(in_both) else {
            panic!("a third of the session is refused")
        };
        assert_eq!(error.code.as_str(), "RATE_LIMITED");
        let anonymous = Owner {
            address,
            ..Owner::default()
        };
        hub.register(anonymous).expect("the address's third");
        let Err(error) = hub.register(anonymous) else {
            panic!("a fourth of the address is refused")
        };
        assert_eq!(error.code.as_str(), "RATE_LIMITED");
        hub.register(Owner::default())
            .expect("an unknown address is counted by nothing");
        hub.unregister(&first);
        hub.unregister(&first);
        hub.register(anonymous)
            .expect("a closed socket frees its place, once");
        assert!(hub.register(anonymous).is_err());
    }

    #[test]
    fn a_users_change_reaches_that_users_sockets_only() {
        let hub = Hub::default();
        let of = |user| Owner {
            user: Some(user),
            ..Owner::default()
        };
        let (one, again, other) = (
            hub.register(of(1)).expect("open"),
            hub.register(of(1)).expect("open"),
            hub.register(of(2)).expect("open"),
        );
        hub.user_changed(1, false);
        let told = |connection: &super::Connection| {
            futures::FutureExt::now_or_never(connection.user_changed()).is_some()
        };
        assert!(
            told(&one) && told(&again),
            "both of the user's sockets check"
        );
        assert!(!told(&other), "another user's does not");
        assert!(!told(&one), "told once");
        assert!(
            !one.take_refetch_own(),
            "their own change: the call's keys say it"
        );

        hub.user_changed(1, true);
        assert!(
            told(&one) && one.take_refetch_own(),
            "another's change: refetch"
        );
        assert!(!one.take_refetch_own(), "once");
        assert!(!told(&other) && !other.take_refetch_own());
    }
}
