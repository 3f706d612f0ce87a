//! The request context a `#[client]` function receives: headers, session, user, extensions.

use std::sync::{Arc, Mutex, OnceLock};

use http::{Extensions, HeaderMap, request::Parts};
use tower_sessions::{Expiry, Session};

use super::{
    hub::Hub,
    passwords::SignInGuard,
    peer::Peer,
    user::{AuthMethod, MizanUser, SESSION_USER_KEY},
};
use crate::{error::MizanError, invalidation::ContextKey};

/// Session key holding the expiry [`RequestContext::set_session_expiry`] chose. tower-sessions
/// does not store a session's expiry (each request's session starts with the layer's), so the
/// session layer applies this one again on every save: a later write keeps it.
pub(crate) const SESSION_EXPIRY_KEY: &str = "mizan.expiry";

/// Everything a function may ask about the request that called it. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct RequestContext {
    inner: Arc<Inner>,
}

struct Inner {
    headers: HeaderMap,
    extensions: Extensions,
    session: Option<Session>,
    user: OnceLock<(AuthMethod, Option<Arc<dyn MizanUser>>)>,
    invalidations: Mutex<Vec<String>>,
    /// A call made over a socket: it cannot set cookies, so it cannot change the session.
    over_socket: bool,
}

impl RequestContext {
    /// The context of an HTTP request (session and app state come from its extensions).
    pub fn from_parts(parts: Parts) -> Self {
        Self::new(parts.headers, parts.extensions)
    }

    /// A context with these headers and extensions.
    pub fn new(headers: HeaderMap, extensions: Extensions) -> Self {
        let session = extensions.get::<Session>().cloned();
        Self {
            inner: Arc::new(Inner {
                headers,
                extensions,
                session,
                user: OnceLock::new(),
                invalidations: Mutex::default(),
                over_socket: false,
            }),
        }
    }

    /// A context for a call made while serving this one (an in-process call from a function
    /// body): same request and resolved user, its own invalidation keys. Nested calls are rare,
    /// so they copy the request rather than every call paying for a second shared allocation.
    pub(crate) fn for_nested_call(&self) -> Self {
        let user = OnceLock::new();
        if let Some(resolved) = self.inner.user.get() {
            let _ = user.set(resolved.clone());
        }
        Self {
            inner: Arc::new(Inner {
                headers: self.inner.headers.clone(),
                extensions: self.inner.extensions.clone(),
                session: self.inner.session.clone(),
                user,
                invalidations: Mutex::default(),
                over_socket: self.inner.over_socket,
            }),
        }
    }

    /// The context of a socket's calls: the upgrade's request, with one more header (the
    /// socket's id), marked as unable to change the session.
    pub(crate) fn for_socket(&self, name: &'static str, value: http::HeaderValue) -> Self {
        let nested = self.for_nested_call();
        // Copies, not clones: the request's names and values share hyper's read buffer (8 KiB
        // or more), which a socket keeping them would hold for its whole life.
        let mut headers = HeaderMap::with_capacity(nested.inner.headers.len() + 1);
        for (header, value) in &nested.inner.headers {
            if let (Ok(header), Ok(value)) = (
                http::HeaderName::from_bytes(header.as_str().as_bytes()),
                http::HeaderValue::from_bytes(value.as_bytes()),
            ) {
                headers.append(header, value);
            }
        }
        headers.insert(name, value);
        // The original URI shares that buffer too; a socket's calls have no use for it.
        let mut extensions = nested.inner.extensions.clone();
        extensions.remove::<axum::extract::OriginalUri>();
        Self {
            inner: Arc::new(Inner {
                headers,
                extensions,
                session: nested.inner.session.clone(),
                user: nested.inner.user.clone(),
                invalidations: Mutex::default(),
                over_socket: true,
            }),
        }
    }

    fn refuse_over_socket(&self) -> Result<(), MizanError> {
        if self.inner.over_socket {
            Err(MizanError::not_implemented(
                "signing in or out, or a session's expiry, changes the session cookie: do it over \
                 HTTP, not the socket",
            ))
        } else {
            Ok(())
        }
    }

    /// The context a `public` context runs in: the same request without anything that says who
    /// sent it (no session, no cookies, no `Authorization`, no user), so its answer can be the
    /// same for everyone and an edge cache may share it.
    pub(crate) fn without_identity(&self) -> Self {
        let mut headers = self.inner.headers.clone();
        headers.remove(http::header::COOKIE);
        headers.remove(http::header::AUTHORIZATION);
        let mut extensions = self.inner.extensions.clone();
        extensions.remove::<Session>();
        let user = OnceLock::new();
        let _ = user.set((AuthMethod::Anonymous, None));
        Self {
            inner: Arc::new(Inner {
                headers,
                extensions,
                session: None,
                user,
                invalidations: Mutex::default(),
                over_socket: false,
            }),
        }
    }

    /// A context outside any request (background tasks): no session, no user.
    pub fn detached() -> Self {
        Self::new(HeaderMap::new(), Extensions::new())
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// A value the server put in the request extensions (a database pool, app state).
    pub fn extension<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.inner.extensions.get::<T>().cloned()
    }

    /// A request extension by reference, for the pipeline's own per-call reads.
    pub(crate) fn extension_ref<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.extensions.get::<T>()
    }

    /// Like [`extension`](Self::extension), but a missing value is an `INTERNAL_ERROR` (logged).
    pub fn require<T: Clone + Send + Sync + 'static>(&self) -> Result<T, MizanError> {
        self.extension::<T>().ok_or_else(|| {
            tracing::error!(
                missing = std::any::type_name::<T>(),
                "a #[client] function needs a request extension the server did not add"
            );
            MizanError::internal()
        })
    }

    /// The session, when the session layer is installed.
    pub fn session(&self) -> Option<&Session> {
        self.inner.session.as_ref()
    }

    /// The signed-in user, if any (resolved before the function runs).
    pub fn user(&self) -> Option<&Arc<dyn MizanUser>> {
        self.inner.user.get().and_then(|(_, user)| user.as_ref())
    }

    /// The signed-in user as the app's own type.
    pub fn user_as<T: MizanUser>(&self) -> Option<&T> {
        let user: &dyn MizanUser = self.user()?.as_ref();
        (user as &dyn std::any::Any).downcast_ref::<T>()
    }

    /// The signed-in user's id.
    pub fn user_id(&self) -> Option<i64> {
        self.user().map(|user| user.id())
    }

    /// How the user authenticated.
    pub fn auth_method(&self) -> AuthMethod {
        self.inner
            .user
            .get()
            .map_or(AuthMethod::Anonymous, |(method, _)| *method)
    }

    /// The client on the network: its address (behind a trusted proxy, the one the proxy
    /// forwards) and scheme. `None` when the server does not hand requests their TCP peer (a
    /// router served by plain `axum::serve`, or a test calling it directly).
    pub fn peer(&self) -> Option<Peer> {
        self.extension_ref::<Peer>().copied()
    }

    /// Whether `password` matches `hash` for a sign-in to `account` (the name the visitor typed),
    /// checked by the site's [`SignInGuard`]: `RATE_LIMITED` without checking when that account,
    /// or this client's address, has had too many failed sign-ins lately (see
    /// [`SignInLimits`](super::SignInLimits)); otherwise verified on the password pool, off the
    /// async workers. A wrong password counts against both; a right one clears the account's.
    ///
    /// Call it for an unknown account too, with [`unknown_account_hash`](super::unknown_account_hash)
    /// (never a hash of a password someone could know), and answer both failures alike: the time
    /// taken, the counts and the refusals then never tell which names have accounts.
    pub async fn check_password(
        &self,
        account: &str,
        password: &str,
        hash: &str,
    ) -> Result<bool, MizanError> {
        let guard = self
            .extension_ref::<SignInGuard>()
            .unwrap_or_else(|| SignInGuard::process_default());
        let address = self.peer().map(|peer| peer.addr());
        guard.check(account, address, password, hash).await
    }

    /// Records the authenticated user; the pipeline calls this once per call.
    pub(crate) fn set_user(&self, method: AuthMethod, user: Option<Arc<dyn MizanUser>>) {
        // A context reused for a nested in-process call keeps its first resolution.
        let _ = self.inner.user.set((method, user));
    }

    /// Whether authentication already ran for this context.
    pub(crate) fn is_authenticated_resolved(&self) -> bool {
        self.inner.user.get().is_some()
    }

    /// Signs `user_id` in: a new session id (against fixation) holding the user id. Sockets
    /// opened under the old id are closed: they would go on as the old user. The rest of this
    /// call still runs as the caller it started as ([`user`](Self::user) is unchanged); the
    /// browser's next request is `user_id`'s.
    pub async fn sign_in(&self, user_id: i64) -> Result<(), MizanError> {
        self.refuse_over_socket()?;
        let session = self.session_or_error()?;
        let old = session.id();
        session.cycle_id().await.map_err(session_failure)?;
        self.end_sockets(old);
        session
            .insert(SESSION_USER_KEY, user_id)
            .await
            .map_err(session_failure)?;
        Ok(())
    }

    /// Signs out: the session's data is deleted, its cookie expired and its sockets closed.
    pub async fn sign_out(&self) -> Result<(), MizanError> {
        self.refuse_over_socket()?;
        if let Some(session) = self.session() {
            let old = session.id();
            session.flush().await.map_err(session_failure)?;
            self.end_sockets(old);
        }
        Ok(())
    }

    /// How long this visitor's session lasts, in place of the session layer's
    /// [`with_expiry`](super::SessionLayer::with_expiry), for this session only: "remember me"
    /// at sign-in. [`Expiry::OnInactivity`] keeps the session, and its cookie (`Max-Age`), for
    /// that long after its last write; [`Expiry::OnSessionEnd`] makes the cookie end with the
    /// browser. The choice is kept in the session, so it holds for its later writes too, until
    /// sign-out. `NOT_IMPLEMENTED` over the socket (it cannot set the cookie); `INTERNAL_ERROR`
    /// (logged) without the session layer, or when its store fails.
    ///
    /// ```no_run
    /// # use mizan::{MizanError, server::RequestContext};
    /// # async fn log_in(ctx: RequestContext, remember: bool) -> Result<(), MizanError> {
    /// use mizan::server::sessions::{Duration, Expiry};
    ///
    /// ctx.sign_in(7).await?;
    /// ctx.set_session_expiry(if remember {
    ///     Expiry::OnInactivity(Duration::days(30))
    /// } else {
    ///     Expiry::OnSessionEnd
    /// })
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_session_expiry(&self, expiry: Expiry) -> Result<(), MizanError> {
        self.refuse_over_socket()?;
        let session = self.session_or_error()?;
        session
            .insert(SESSION_EXPIRY_KEY, expiry)
            .await
            .map_err(session_failure)?;
        session.set_expiry(Some(expiry));
        Ok(())
    }

    /// Closes the sockets opened under the session id `old`, if any.
    fn end_sockets(&self, old: Option<tower_sessions::session::Id>) {
        if let (Some(old), Some(hub)) = (old, self.extension_ref::<Hub>()) {
            hub.end_session(&old);
        }
    }

    /// Says that user `user_id`'s account or rights changed (renamed, demoted, deleted, removed
    /// from something a channel checks): every socket and event stream acting
    /// as that user reads the user again at once. One that would now act as someone else or with
    /// other rights, or whose channel subscriptions the user may no longer join, closes (4001)
    /// and its client reconnects as who the user now is; the others go on with the user as now
    /// loaded (a renamed user's chat lines carry the new name). When the caller is not that
    /// user (staff renaming someone), each also refetches the `per_user` contexts it watches:
    /// what the user sees of themselves may have changed with them (a caller's change of
    /// themselves reaches their tabs through the call's own keys).
    /// Without it an open socket learns of such a change at its next identity check
    /// ([`Limits::identity_recheck`](super::Limits::identity_recheck)).
    pub fn user_changed(&self, user_id: i64) {
        if let Some(hub) = self.extension_ref::<Hub>() {
            // The caller changing themselves declares what changed in their call's keys.
            hub.user_changed(user_id, self.user_id() != Some(user_id));
        }
    }

    /// The same request as another user (a socket's, loaded again): its calls from now on run
    /// as `user`.
    pub(crate) fn with_user(&self, method: AuthMethod, user: Option<Arc<dyn MizanUser>>) -> Self {
        let user_cell = OnceLock::new();
        let _ = user_cell.set((method, user));
        Self {
            inner: Arc::new(Inner {
                headers: self.inner.headers.clone(),
                extensions: self.inner.extensions.clone(),
                session: self.inner.session.clone(),
                user: user_cell,
                invalidations: Mutex::default(),
                over_socket: self.inner.over_socket,
            }),
        }
    }

    /// Adds a context key for clients to refresh after this call succeeds, on top of the ones
    /// `affects = [...]` declares: `ctx.invalidate(ContextKey::whole("feed").with("user_id", 5))`.
    pub fn invalidate(&self, key: ContextKey) {
        self.push_invalidation(key.to_string());
    }

    /// Adds a key already in its canonical text form; a repeated key is kept once.
    pub(crate) fn push_invalidation(&self, key: String) {
        if let Ok(mut keys) = self.inner.invalidations.lock()
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }

    /// The keys added with [`invalidate`](Self::invalidate), emptied.
    pub(crate) fn take_invalidations(&self) -> Vec<String> {
        self.inner
            .invalidations
            .lock()
            .map(|mut keys| std::mem::take(&mut *keys))
            .unwrap_or_default()
    }

    fn session_or_error(&self) -> Result<&Session, MizanError> {
        self.session().ok_or_else(|| {
            tracing::error!("sessions need mizan's SessionLayer, which is not installed");
            MizanError::internal()
        })
    }
}

fn session_failure(error: tower_sessions::session::Error) -> MizanError {
    use tower_sessions::{session::Error, session_store::Error as StoreError};
    tracing::error!(%error, "session store failure");
    match error {
        // The store's server did not answer: it may shortly.
        Error::Store(StoreError::Backend(_)) => {
            MizanError::unavailable("the session store is unavailable: try again shortly")
        }
        _ => MizanError::internal(),
    }
}
