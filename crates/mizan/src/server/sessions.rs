//! Sessions for a mizan app: tower-sessions' [`Session`] and stores, managed so that a request
//! with no session cookie that writes nothing to its session costs no store access, no boxed
//! future and no cookie work.
//!
//! tower-sessions' own `SessionManagerLayer` parses every cookie into a jar, boxes a future and
//! takes an async lock on every request, signed in or not: on a small call that is a fifth of the
//! server's work. This layer keeps its semantics (the same cookie, saved when modified, removed
//! when emptied, a new id on [`RequestContext::sign_in`](super::RequestContext::sign_in)) and
//! pays for them only on requests that carry a session or start one.
//!
//! The tower-sessions types an app needs beside the layer are re-exported here: [`Expiry`],
//! [`Duration`] (the `time` crate's: `Duration::days(30)`), [`SameSite`], [`Session`],
//! [`SessionStore`] and [`MemoryStore`]. A store from another crate must be built on the same
//! tower-sessions, 0.14 (for SQLite: `tower-sessions-sqlx-store` 0.15).

use std::{
    borrow::Cow,
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use axum::{extract::Request, response::Response};
use http::{HeaderValue, header};
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceExt};
use tower_sessions::{
    cookie::{Cookie, time::OffsetDateTime},
    session::{Id, Record},
    session_store,
};

use super::{context::SESSION_EXPIRY_KEY, response::error_response};
use crate::{
    error::MizanError,
    frames::{IDENTITY_CHANGED, IDENTITY_HEADER},
};

// tower-sessions' types that the layer and `RequestContext` take or hand out, so an app names
// them without a tower-sessions dependency of its own (`Duration` is the `time` crate's).
pub use tower_sessions::{
    Expiry, MemoryStore, Session, SessionStore,
    cookie::{SameSite, time::Duration},
};

/// The cookie-name prefix browsers accept only on a `Secure`, `Path=/` cookie without `Domain`.
const HOST_PREFIX: &str = "__Host-";

/// The cookie-name prefix browsers accept only on a `Secure` cookie.
const SECURE_PREFIX: &str = "__Secure-";

/// A session layer whose cookie browsers would refuse (see [`SessionLayer::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionCookieError {
    /// The name's prefix asks for attributes the cookie does not have.
    #[error(
        "the session cookie `{name}` starts with `{prefix}`, which browsers accept only on a \
         `Secure` cookie{host}, but {attribute}: browsers would drop it and nobody would stay \
         signed in",
        host = host_rule(.prefix)
    )]
    PrefixRule {
        /// The cookie's name.
        name: String,
        /// `__Host-` or `__Secure-`.
        prefix: &'static str,
        /// What breaks the prefix's rule.
        attribute: &'static str,
    },
}

/// What the `__Host-` prefix asks beyond `Secure`, for the error's text.
fn host_rule(prefix: &str) -> &'static str {
    if prefix == HOST_PREFIX {
        " with `Path=/` and no `Domain`"
    } else {
        ""
    }
}

/// The session cookie's attributes and the sessions' expiry.
#[derive(Debug, Clone)]
struct CookieConfig {
    name: Cow<'static, str>,
    http_only: bool,
    same_site: SameSite,
    secure: bool,
    path: Cow<'static, str>,
    domain: Option<Cow<'static, str>>,
    expiry: Option<Expiry>,
}

/// Any session store, behind one type: the layer and everything holding it stay non-generic.
#[derive(Debug)]
struct AnyStore(Box<dyn SessionStore>);

#[async_trait::async_trait]
impl SessionStore for AnyStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.0.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.0.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.0.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete(id).await
    }
}

/// The session layer: put it outside [`Mizan::layer`](super::Mizan::layer), in the same
/// `tower::ServiceBuilder`. Handlers and `#[client]` functions read the [`Session`] from the
/// request extensions, as with tower-sessions' own layer.
///
/// Defaults: cookie `id` (tower-sessions' name: a generic one does not tell visitors which
/// framework serves the site), `HttpOnly`, `SameSite=Lax` (a link from another site arrives
/// signed in; cross-site state changes are refused by the cross-site guard), `Secure`, path `/`,
/// no expiry (the cookie lasts the browser session).
///
/// Browsers keep a `Secure` cookie only from HTTPS, and Chromium and Firefox from
/// `http://localhost` too: a site served over plain HTTP on any other address (a LAN address, a
/// staging host) needs [`with_secure(false)`](Self::with_secure), or its visitors never stay
/// signed in.
///
/// Over HTTPS, name the cookie with the `__Host-` prefix (`with_name("__Host-session")`):
/// browsers then accept it only with `Secure`, `Path=/` and no `Domain`, so no sibling subdomain
/// can set or shadow it. The defaults already are those attributes; [`check`](Self::check) (which
/// [`Site`](super::Site) runs at start) refuses a prefixed name with attributes a browser would
/// drop the cookie for.
///
/// ```
/// use mizan::server::sessions::{Duration, Expiry, MemoryStore};
/// let sessions = mizan::server::SessionLayer::new(MemoryStore::default())
///     .with_name("__Host-session")
///     .with_expiry(Expiry::OnInactivity(Duration::days(14)));
/// assert!(sessions.check().is_ok());
/// assert!(sessions.with_secure(false).check().is_err(), "a __Host- cookie needs Secure");
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    store: Arc<AnyStore>,
    config: Arc<CookieConfig>,
}

impl SessionLayer {
    /// Sessions kept in `store` (any tower-sessions store).
    pub fn new(store: impl SessionStore) -> Self {
        Self {
            store: Arc::new(AnyStore(Box::new(store))),
            config: Arc::new(CookieConfig {
                name: Cow::Borrowed("id"),
                http_only: true,
                same_site: SameSite::Lax,
                secure: true,
                path: Cow::Borrowed("/"),
                domain: None,
                expiry: None,
            }),
        }
    }

    fn config(mut self, change: impl FnOnce(&mut CookieConfig)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }

    /// The cookie's name.
    pub fn with_name(self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        self.config(|config| config.name = name)
    }

    /// Whether scripts are kept from reading the cookie (`HttpOnly`, on by default).
    pub fn with_http_only(self, http_only: bool) -> Self {
        self.config(|config| config.http_only = http_only)
    }

    /// The cookie's `SameSite` attribute.
    pub fn with_same_site(self, same_site: SameSite) -> Self {
        self.config(|config| config.same_site = same_site)
    }

    /// Whether the cookie is sent over HTTPS only (`Secure`, on by default; turn it off only for
    /// a site served over plain HTTP elsewhere than `localhost`).
    pub fn with_secure(self, secure: bool) -> Self {
        self.config(|config| config.secure = secure)
    }

    /// Whether the cookie is `Secure`: the other cookies the site sets (the form flash) follow it.
    pub fn is_secure(&self) -> bool {
        self.config.secure
    }

    /// The cookie's path.
    pub fn with_path(self, path: impl Into<Cow<'static, str>>) -> Self {
        let path = path.into();
        self.config(|config| config.path = path)
    }

    /// The cookie's domain (unset by default: this host only).
    pub fn with_domain(self, domain: impl Into<Cow<'static, str>>) -> Self {
        let domain = domain.into();
        self.config(|config| config.domain = Some(domain))
    }

    /// Whether browsers will keep the cookie as configured: a name with the `__Host-` prefix
    /// needs `Secure`, `Path=/` and no `Domain`, one with `__Secure-` needs `Secure` (browsers
    /// match the prefixes in any case, and silently drop a cookie that breaks their rule: every
    /// sign-in would be lost). [`Site`](super::Site) checks at start; an app that assembles its
    /// own router calls this before serving.
    pub fn check(&self) -> Result<(), SessionCookieError> {
        let config = &self.config;
        let prefix = |prefix: &str| {
            config
                .name
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        };
        let rule = if prefix(HOST_PREFIX) {
            HOST_PREFIX
        } else if prefix(SECURE_PREFIX) {
            SECURE_PREFIX
        } else {
            return Ok(());
        };
        let refused = |attribute| SessionCookieError::PrefixRule {
            name: config.name.to_string(),
            prefix: rule,
            attribute,
        };
        if !config.secure {
            return Err(refused("it is not `Secure` (`with_secure(false)`)"));
        }
        if rule == HOST_PREFIX && config.path != "/" {
            return Err(refused("its path is not `/` (`with_path`)"));
        }
        if rule == HOST_PREFIX && config.domain.is_some() {
            return Err(refused("it has a `Domain` (`with_domain`)"));
        }
        Ok(())
    }

    /// When sessions expire, unless a session chose otherwise
    /// ([`RequestContext::set_session_expiry`](super::RequestContext::set_session_expiry)).
    /// [`Expiry::OnInactivity`] counts from a session's last write (signing in is one): reading
    /// it does not extend it.
    pub fn with_expiry(self, expiry: Expiry) -> Self {
        self.config(|config| config.expiry = Some(expiry))
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = Sessions<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Sessions {
            inner,
            store: Arc::clone(&self.store),
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`SessionLayer`] wraps around the app.
pub struct Sessions<S> {
    inner: S,
    store: Arc<AnyStore>,
    config: Arc<CookieConfig>,
}

impl<S: Clone> Clone for Sessions<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            store: Arc::clone(&self.store),
            config: Arc::clone(&self.config),
        }
    }
}

impl<S> Service<Request> for Sessions<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = SessionFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let cookies = SessionCookies::read(request.headers(), &self.config.name);
        let config = Arc::clone(&self.config);
        let had_cookie = cookies.present;
        let id = match cookies.ids.as_slice() {
            // More than one session id under this name (one planted by a sibling subdomain,
            // say): the store decides which, if any, is the visitor's (see [`choose`]).
            [_, _, ..] => {
                let ready = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, ready);
                let store = Arc::clone(&self.store);
                let serve = async move {
                    let (id, had_cookie) = match choose(&store, cookies.ids).await {
                        Choice::One(id) => (Some(id), true),
                        Choice::None => (None, true),
                        // No removal cookie: it would delete the visitor's own, not the planted.
                        Choice::Ambiguous => (None, false),
                    };
                    let session = Session::new(id, store, config.expiry);
                    request.extensions_mut().insert(session.clone());
                    let Ok(response) = inner.oneshot(request).await;
                    finish(session, id, had_cookie, config, response).await
                };
                return SessionFuture {
                    state: State::Finishing {
                        finish: Box::pin(serve),
                    },
                };
            }
            // A malformed id is a cookie without a session: the cookie is removed on the way out.
            [id] => Some(*id),
            [] => None,
        };
        let session = Session::new(id, Arc::clone(&self.store), self.config.expiry);
        request.extensions_mut().insert(session.clone());
        SessionFuture {
            state: State::Serving {
                inner: self.inner.call(request),
                session: Some(session),
                id,
                had_cookie,
                config,
            },
        }
    }
}

/// Most distinct session ids of one request the store is asked about; more are ignored.
const MAX_SESSION_IDS: usize = 4;

/// The session cookies a request sent under the session cookie's name.
struct SessionCookies {
    /// Whether any cookie of that name came, well-formed or not.
    present: bool,
    /// The distinct values that are session ids, in the order they came (at most
    /// [`MAX_SESSION_IDS`]).
    ids: Vec<Id>,
}

impl SessionCookies {
    /// Reads the `Cookie` headers as bytes: one cookie whose value is not UTF-8 (browsers send
    /// what sites set) must not hide the session cookie beside it.
    fn read(headers: &http::HeaderMap, name: &str) -> Self {
        let mut cookies = Self {
            present: false,
            ids: Vec::new(),
        };
        let pairs = headers
            .get_all(header::COOKIE)
            .iter()
            .flat_map(|value| value.as_bytes().split(|byte| *byte == b';'));
        for pair in pairs {
            let pair = pair.trim_ascii();
            let Some(equals) = pair.iter().position(|byte| *byte == b'=') else {
                continue;
            };
            if pair[..equals].trim_ascii() != name.as_bytes() {
                continue;
            }
            cookies.present = true;
            let value = pair[equals + 1..].trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|inner| inner.strip_suffix(b"\""))
                .unwrap_or(value);
            let Some(id) = std::str::from_utf8(value)
                .ok()
                .and_then(|text| text.parse::<Id>().ok())
            else {
                continue;
            };
            if cookies.ids.contains(&id) {
                continue;
            }
            if cookies.ids.len() == MAX_SESSION_IDS {
                tracing::warn!("more than {MAX_SESSION_IDS} session cookies: the rest are ignored");
                break;
            }
            cookies.ids.push(id);
        }
        cookies
    }
}

/// Which of several session ids is the visitor's.
enum Choice {
    /// The one the store knows (or could not answer for: a store failure is not a sign-out).
    One(Id),
    /// None of them: the cookie is removed on the way out.
    None,
    /// More than one: a session planted beside the visitor's own, perhaps of the attacker's
    /// account. Neither is used (the request is anonymous) and neither cookie is touched.
    Ambiguous,
}

/// Asks the store about each id (see [`Choice`]).
async fn choose(store: &AnyStore, ids: Vec<Id>) -> Choice {
    let mut chosen = None;
    for id in ids {
        let known = match store.load(&id).await {
            Ok(record) => record.is_some(),
            Err(error) => {
                tracing::warn!(%error, "cannot load a session");
                true
            }
        };
        if known {
            if chosen.is_some() {
                tracing::warn!("two live sessions under one cookie name: neither is used");
                return Choice::Ambiguous;
            }
            chosen = Some(id);
        }
    }
    chosen.map_or(Choice::None, Choice::One)
}

pin_project! {
    /// The future of [`Sessions`]: the app's response, then the session's cookie when it has
    /// one to set or remove.
    pub struct SessionFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // The app is answering.
        Serving {
            #[pin]
            inner: F,
            session: Option<Session>,
            id: Option<Id>,
            had_cookie: bool,
            config: Arc<CookieConfig>,
        },
        // The session is being saved or removed (or, for a request with several session
        // cookies, chosen, served and then saved).
        Finishing {
            finish: Pin<Box<dyn Future<Output = Response> + Send>>,
        },
    }
}

impl<F> Future for SessionFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Serving {
                    inner,
                    session,
                    id,
                    had_cookie,
                    config,
                } => {
                    let Ok(response) = ready!(inner.poll(cx));
                    let Some(session) = session.take() else {
                        // Unreachable: the session is taken once, on the way to `Finishing`.
                        return Poll::Ready(Ok(response));
                    };
                    // The common anonymous request: no cookie came, nothing was written.
                    if !*had_cookie && !session.is_modified() {
                        return Poll::Ready(Ok(response));
                    }
                    let finish = finish(session, *id, *had_cookie, Arc::clone(config), response);
                    state.set(State::Finishing {
                        finish: Box::pin(finish),
                    });
                }
                StateProj::Finishing { finish } => {
                    return finish.as_mut().poll(cx).map(Ok);
                }
            }
        }
    }
}

/// Saves a modified session and sets its cookie, or removes the cookie of an emptied one
/// (tower-sessions' rules: nothing is saved for a response that is a server error).
///
/// A response that removes the session, or gives it another id than the request's (`came`), is
/// marked with [`IDENTITY_HEADER`]: the client's socket, opened as the old session, reopens.
async fn finish(
    session: Session,
    came: Option<Id>,
    had_cookie: bool,
    config: Arc<CookieConfig>,
    mut response: Response,
) -> Response {
    let modified = session.is_modified();
    let empty = session.is_empty().await;
    let cookie = if had_cookie && empty {
        let mut removal = base_cookie(&config, String::new());
        removal.make_removal();
        removal
    } else if modified && !empty && !response.status().is_server_error() {
        // tower-sessions gives each request's session the layer's expiry: one the session chose
        // is applied again on every save. (Reading it costs no store access: saving loads the
        // record anyway.)
        match session.get::<Expiry>(SESSION_EXPIRY_KEY).await {
            Ok(Some(expiry)) => session.set_expiry(Some(expiry)),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "a session's chosen expiry cannot be read"),
        }
        if let Err(error) = session.save().await {
            tracing::error!(%error, "cannot save the session");
            return error_response(&MizanError::internal());
        }
        let Some(id) = session.id() else {
            tracing::error!("a saved session has no id");
            return error_response(&MizanError::internal());
        };
        let mut cookie = base_cookie(&config, id.to_string());
        match session.expiry() {
            Some(Expiry::OnInactivity(duration)) => cookie.set_max_age(duration),
            Some(Expiry::AtDateTime(at)) => cookie.set_max_age(at - OffsetDateTime::now_utc()),
            Some(Expiry::OnSessionEnd) | None => {}
        }
        cookie
    } else {
        return response;
    };
    let changed_hands = cookie.value().is_empty() || session.id() != came;
    match HeaderValue::try_from(cookie.encoded().to_string()) {
        Ok(value) => {
            response.headers_mut().append(header::SET_COOKIE, value);
            // An answer setting a visitor's cookie is that visitor's alone, whatever cache rule
            // it had (a `public` context's answer removing a stale cookie, say).
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            if changed_hands {
                response
                    .headers_mut()
                    .insert(IDENTITY_HEADER, HeaderValue::from_static(IDENTITY_CHANGED));
            }
            response
        }
        Err(error) => {
            tracing::error!(%error, "the session cookie is not a header value");
            error_response(&MizanError::internal())
        }
    }
}

/// The session cookie with `value` and the configured attributes.
fn base_cookie(config: &CookieConfig, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::build((config.name.clone(), value))
        .http_only(config.http_only)
        .same_site(config.same_site)
        .secure(config.secure)
        .path(config.path.clone());
    if let Some(domain) = &config.domain {
        cookie = cookie.domain(domain.clone());
    }
    cookie.build()
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, http::StatusCode, routing::get};
    use http::{HeaderValue, Request as HttpRequest, header};
    use tower::ServiceExt;
    use tower_sessions::{
        Expiry, MemoryStore, Session, SessionStore,
        cookie::time::Duration,
        session::{Id, Record},
        session_store,
    };

    use super::SessionLayer;
    use crate::server::RequestContext;

    /// Signs user 1 in, as a `#[client]` function would, and chooses the session's `expiry`.
    async fn sign_in_with(request: axum::extract::Request, expiry: Expiry) -> StatusCode {
        let ctx = RequestContext::from_parts(request.into_parts().0);
        let signed_in = async {
            ctx.sign_in(1).await?;
            ctx.set_session_expiry(expiry).await
        };
        match signed_in.await {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Reads `seen` (if any) and, on `/write`, stores a value; `/flush` empties the session;
    /// `/cycle` gives it a new id (as signing in does); `/fail` writes and answers 500;
    /// `/remember` signs in for 30 days, `/forget` for the browser's session.
    fn app(layer: SessionLayer) -> Router {
        Router::new()
            .route(
                "/remember",
                get(|request: axum::extract::Request| {
                    sign_in_with(request, Expiry::OnInactivity(Duration::days(30)))
                }),
            )
            .route(
                "/forget",
                get(|request: axum::extract::Request| sign_in_with(request, Expiry::OnSessionEnd)),
            )
            .route(
                "/read",
                get(|session: axum::Extension<Session>| async move {
                    let value: Option<u32> = session.get("seen").await.ok().flatten();
                    format!("{}:{value:?}", session.id().is_some())
                }),
            )
            .route(
                "/write",
                get(|session: axum::Extension<Session>| async move {
                    session.insert("seen", 7_u32).await.ok();
                    "written"
                }),
            )
            .route(
                "/flush",
                get(|session: axum::Extension<Session>| async move {
                    session.flush().await.ok();
                    "flushed"
                }),
            )
            .route(
                "/cycle",
                get(|session: axum::Extension<Session>| async move {
                    session.cycle_id().await.ok();
                    "cycled"
                }),
            )
            .route(
                "/fail",
                get(|session: axum::Extension<Session>| async move {
                    session.insert("seen", 7_u32).await.ok();
                    StatusCode::INTERNAL_SERVER_ERROR
                }),
            )
            .layer(layer)
    }

    async fn get_with(
        app: &Router,
        path: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, Vec<String>, String) {
        let mut request = HttpRequest::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| value.to_str().expect("ascii").to_owned())
            .collect();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        (status, cookies, String::from_utf8_lossy(&body).into_owned())
    }

    fn pair(set_cookie: &str) -> String {
        set_cookie.split(';').next().expect("a pair").to_owned()
    }

    #[tokio::test]
    async fn a_request_without_a_session_that_writes_nothing_gets_no_cookie() {
        let app = app(SessionLayer::new(MemoryStore::default()));
        let (status, cookies, body) = get_with(&app, "/read", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(cookies.is_empty(), "{cookies:?}");
        assert_eq!(body, "false:None");
    }

    #[tokio::test]
    async fn a_written_session_sets_its_cookie_with_the_configured_attributes_and_comes_back() {
        let app = app(SessionLayer::new(MemoryStore::default())
            .with_name("sid")
            .with_expiry(Expiry::OnInactivity(Duration::days(2))));
        let (_, cookies, _) = get_with(&app, "/write", None).await;
        let [set_cookie] = cookies.as_slice() else {
            panic!("one cookie, not {cookies:?}");
        };
        for attribute in [
            "sid=",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=172800",
        ] {
            assert!(
                set_cookie.contains(attribute),
                "{attribute} in {set_cookie}"
            );
        }
        let (_, again, body) = get_with(&app, "/read", Some(&pair(set_cookie))).await;
        assert_eq!(body, "true:Some(7)", "the session is read back");
        assert!(
            again.is_empty(),
            "an unchanged session sets nothing: {again:?}"
        );
    }

    #[tokio::test]
    async fn a_host_prefixed_cookie_is_set_secure_on_the_root_without_domain_and_read_back() {
        let layer = SessionLayer::new(MemoryStore::default()).with_name("__Host-sid");
        layer.check().expect("the defaults meet the prefix's rule");
        let app = app(layer);
        let (_, cookies, _) = get_with(&app, "/write", None).await;
        let [set_cookie] = cookies.as_slice() else {
            panic!("one cookie, not {cookies:?}");
        };
        assert!(set_cookie.starts_with("__Host-sid="), "{set_cookie}");
        let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).skip(1).collect();
        assert!(attributes.contains(&"Secure"), "{set_cookie}");
        assert!(attributes.contains(&"Path=/"), "{set_cookie}");
        assert!(
            !attributes.iter().any(|a| a.starts_with("Domain")),
            "{set_cookie}"
        );
        let (_, _, body) = get_with(&app, "/read", Some(&pair(set_cookie))).await;
        assert_eq!(body, "true:Some(7)", "the session is read back");
    }

    #[test]
    fn a_prefixed_name_with_attributes_browsers_refuse_is_a_typed_error() {
        let host = || SessionLayer::new(MemoryStore::default()).with_name("__Host-sid");
        for (layer, attribute) in [
            (host().with_secure(false), "Secure"),
            (host().with_path("/app"), "path"),
            (host().with_domain("example.com"), "Domain"),
            // Browsers match the prefixes in any case.
            (
                SessionLayer::new(MemoryStore::default())
                    .with_name("__host-sid")
                    .with_secure(false),
                "Secure",
            ),
            (
                SessionLayer::new(MemoryStore::default())
                    .with_name("__Secure-sid")
                    .with_secure(false),
                "Secure",
            ),
        ] {
            let error = layer.check().expect_err("refused");
            let text = error.to_string();
            assert!(text.contains(attribute), "{attribute}: {text}");
            assert!(text.contains("sid"), "{text}");
        }
        let secure_prefixed = SessionLayer::new(MemoryStore::default())
            .with_name("__Secure-sid")
            .with_domain("example.com")
            .with_path("/app");
        assert!(
            secure_prefixed.check().is_ok(),
            "__Secure- asks only Secure"
        );
        let plain = SessionLayer::new(MemoryStore::default())
            .with_name("sid")
            .with_secure(false)
            .with_domain("example.com");
        assert!(plain.check().is_ok(), "no prefix, no rule");
    }

    /// The `Max-Age` of a Set-Cookie header, if it has one.
    fn max_age(set_cookie: &str) -> Option<&str> {
        set_cookie
            .split(';')
            .find_map(|attribute| attribute.trim().strip_prefix("Max-Age="))
    }

    #[tokio::test]
    async fn an_expiry_chosen_at_sign_in_sets_the_cookie_and_outlasts_later_writes() {
        let app = app(SessionLayer::new(MemoryStore::default())
            .with_expiry(Expiry::OnInactivity(Duration::days(2))));
        let (status, cookies, _) = get_with(&app, "/remember", None).await;
        assert_eq!(status, StatusCode::OK);
        let [signed_in] = cookies.as_slice() else {
            panic!("one cookie, not {cookies:?}");
        };
        assert_eq!(max_age(signed_in), Some("2592000"), "30 days: {signed_in}");
        let (_, cookies, body) = get_with(&app, "/write", Some(&pair(signed_in))).await;
        assert_eq!(body, "written");
        let [written] = cookies.as_slice() else {
            panic!("one cookie, not {cookies:?}");
        };
        assert_eq!(
            max_age(written),
            Some("2592000"),
            "a later write keeps the session's own expiry, not the layer's: {written}"
        );
    }

    #[tokio::test]
    async fn a_browser_session_chosen_at_sign_in_has_no_max_age_even_after_a_write() {
        let app = app(SessionLayer::new(MemoryStore::default())
            .with_expiry(Expiry::OnInactivity(Duration::days(2))));
        let (_, cookies, _) = get_with(&app, "/forget", None).await;
        let [signed_in] = cookies.as_slice() else {
            panic!("one cookie, not {cookies:?}");
        };
        let (_, cookies, _) = get_with(&app, "/write", Some(&pair(signed_in))).await;
        for set_cookie in [signed_in, &cookies[0]] {
            assert_eq!(max_age(set_cookie), None, "{set_cookie}");
            assert!(!set_cookie.contains("Expires"), "{set_cookie}");
        }
    }

    #[tokio::test]
    async fn an_expiry_needs_the_session_layer_and_an_http_request() {
        let detached = RequestContext::detached();
        let error = detached
            .set_session_expiry(Expiry::OnSessionEnd)
            .await
            .expect_err("no session layer");
        assert_eq!(error.code.as_str(), "INTERNAL_ERROR");
        let socket = detached.for_socket("x-test", HeaderValue::from_static("1"));
        let error = socket
            .set_session_expiry(Expiry::OnSessionEnd)
            .await
            .expect_err("over a socket");
        assert_eq!(error.code.as_str(), "NOT_IMPLEMENTED", "{error:?}");
    }

    #[tokio::test]
    async fn an_emptied_session_and_a_malformed_cookie_are_removed() {
        let app = app(SessionLayer::new(MemoryStore::default()).with_secure(false));
        let (_, cookies, _) = get_with(&app, "/write", None).await;
        let cookie = pair(&cookies[0]);
        assert!(!cookies[0].contains("Secure"), "{}", cookies[0]);

        let (_, removal, _) = get_with(&app, "/flush", Some(&cookie)).await;
        assert!(
            removal.len() == 1
                && removal[0].starts_with("id=;")
                && removal[0].contains("Max-Age=0"),
            "{removal:?}"
        );
        let (_, _, body) = get_with(&app, "/read", Some(&cookie)).await;
        assert_eq!(
            body, "false:None",
            "the flushed session is gone from the store"
        );

        let (_, removal, body) = get_with(&app, "/read", Some("id=not-an-id")).await;
        assert_eq!(body, "false:None");
        assert!(
            removal.len() == 1 && removal[0].contains("Max-Age=0"),
            "{removal:?}"
        );
    }

    #[tokio::test]
    async fn a_planted_cookie_of_the_same_name_neither_replaces_nor_removes_the_session() {
        let app = app(SessionLayer::new(MemoryStore::default()));
        let (_, cookies, _) = get_with(&app, "/write", None).await;
        let real = pair(&cookies[0]);
        // What a sibling subdomain could set for the parent domain: a malformed value, or a
        // well-formed id the store has never seen; browsers send it before or after ours.
        let unknown = format!("id={}", Id::default());
        for planted in ["id=garbage", unknown.as_str()] {
            for header in [format!("{planted}; {real}"), format!("{real}; {planted}")] {
                let (status, set, body) = get_with(&app, "/read", Some(&header)).await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body, "true:Some(7)", "the real session is read: {header}");
                assert!(
                    set.is_empty(),
                    "nothing is set or removed: {header} {set:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_cookie_that_is_not_utf8_does_not_hide_the_session() {
        let app = app(SessionLayer::new(MemoryStore::default()));
        let (_, cookies, _) = get_with(&app, "/write", None).await;
        let real = pair(&cookies[0]);
        let mut header = b"theme=\xc3\xa9t\xc3\xa9; ".to_vec();
        header.extend_from_slice(real.as_bytes());
        let request = HttpRequest::get("/read")
            .header(
                header::COOKIE,
                HeaderValue::from_bytes(&header).expect("bytes"),
            )
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        assert!(response.headers().get(header::SET_COOKIE).is_none());
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        assert_eq!(body, "true:Some(7)");
    }

    #[tokio::test]
    async fn two_live_sessions_under_one_name_are_neither_used_nor_removed() {
        let app = app(SessionLayer::new(MemoryStore::default()));
        let (_, mine, _) = get_with(&app, "/write", None).await;
        let (_, planted, _) = get_with(&app, "/write", None).await;
        let both = format!("{}; {}", pair(&planted[0]), pair(&mine[0]));
        let (status, set, body) = get_with(&app, "/read", Some(&both)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "false:None", "an ambiguous session is no session");
        assert!(set.is_empty(), "neither cookie is removed: {set:?}");
        let (_, _, body) = get_with(&app, "/read", Some(&pair(&mine[0]))).await;
        assert_eq!(body, "true:Some(7)", "the visitor's own session is intact");
    }

    #[tokio::test]
    async fn a_new_id_replaces_the_old_one_which_no_longer_opens_the_session() {
        let app = app(SessionLayer::new(MemoryStore::default()));
        let (_, cookies, _) = get_with(&app, "/write", None).await;
        let before = pair(&cookies[0]);
        let (_, cookies, _) = get_with(&app, "/cycle", Some(&before)).await;
        let [set_cookie] = cookies.as_slice() else {
            panic!("one cookie, not {cookies:?}");
        };
        let after = pair(set_cookie);
        assert_ne!(after, before, "a new id is set");
        let (_, _, body) = get_with(&app, "/read", Some(&after)).await;
        assert_eq!(body, "true:Some(7)", "the data moved to the new id");
        let (_, removal, body) = get_with(&app, "/read", Some(&before)).await;
        assert_eq!(body, "false:None", "the old id opens nothing");
        assert!(
            removal.len() == 1 && removal[0].contains("Max-Age=0"),
            "{removal:?}"
        );
    }

    #[tokio::test]
    async fn a_session_that_changes_hands_says_so_and_one_that_is_only_written_does_not() {
        let app = app(SessionLayer::new(MemoryStore::default()));
        let identity = |path: &'static str, cookie: Option<String>| {
            let app = app.clone();
            async move {
                let mut request = HttpRequest::get(path);
                if let Some(cookie) = &cookie {
                    request = request.header(header::COOKIE, cookie);
                }
                let response = app
                    .oneshot(request.body(Body::empty()).expect("request"))
                    .await
                    .expect("infallible");
                let cookie = response
                    .headers()
                    .get(header::SET_COOKIE)
                    .map(|value| pair(value.to_str().expect("ascii")));
                let said = response
                    .headers()
                    .get(crate::frames::IDENTITY_HEADER)
                    .map(|value| value.to_str().expect("ascii").to_owned());
                (cookie, said)
            }
        };
        let (cookie, said) = identity("/write", None).await;
        assert_eq!(said.as_deref(), Some("changed"), "a first session");
        let (_, said) = identity("/write", cookie.clone()).await;
        assert_eq!(said, None, "the same session, written");
        let (_, said) = identity("/read", cookie.clone()).await;
        assert_eq!(said, None, "read");
        let (cycled, said) = identity("/cycle", cookie).await;
        assert_eq!(said.as_deref(), Some("changed"), "a new id: signed in");
        let (_, said) = identity("/flush", cycled).await;
        assert_eq!(said.as_deref(), Some("changed"), "removed: signed out");
    }

    #[tokio::test]
    async fn an_answer_that_sets_a_cookie_is_never_shared_by_caches() {
        let app = Router::new()
            .route(
                "/shared",
                get(|session: axum::Extension<Session>| async move {
                    session.insert("seen", 7_u32).await.ok();
                    (
                        [(header::CACHE_CONTROL, "public, max-age=60")],
                        "for everyone?",
                    )
                }),
            )
            .layer(SessionLayer::new(MemoryStore::default()));
        let response = app
            .oneshot(
                HttpRequest::get("/shared")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert!(response.headers().contains_key(header::SET_COOKIE));
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "private, no-store"
        );
    }

    #[tokio::test]
    async fn nothing_is_saved_for_a_server_error() {
        let app = app(SessionLayer::new(MemoryStore::default()));
        let (status, cookies, _) = get_with(&app, "/fail", None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(cookies.is_empty(), "{cookies:?}");
    }

    /// A store whose backend is down.
    #[derive(Debug, Clone)]
    struct Unavailable;

    #[async_trait::async_trait]
    impl SessionStore for Unavailable {
        async fn save(&self, _record: &Record) -> session_store::Result<()> {
            Err(session_store::Error::Backend("connection refused".into()))
        }

        async fn load(&self, _id: &Id) -> session_store::Result<Option<Record>> {
            Err(session_store::Error::Backend("connection refused".into()))
        }

        async fn delete(&self, _id: &Id) -> session_store::Result<()> {
            Err(session_store::Error::Backend("connection refused".into()))
        }
    }

    #[tokio::test]
    async fn a_store_that_cannot_save_is_a_typed_internal_error_without_a_cookie() {
        let app = app(SessionLayer::new(Unavailable));
        let (status, cookies, body) = get_with(&app, "/write", None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(cookies.is_empty(), "{cookies:?}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(body["error"]["code"], "INTERNAL_ERROR", "{body}");
        assert!(
            !body.to_string().contains("connection refused"),
            "internals stay in the log: {body}"
        );
    }
}
