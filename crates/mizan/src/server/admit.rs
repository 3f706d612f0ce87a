//! The layer every request of a mizan app passes before routing: the cross-site guard, the body
//! limit (announced by `Content-Length`, and enforced on every extractor that reads the body),
//! and what handlers read from the request's extensions; around it, the rules every answer gets
//! unless it sets its own (no caching, no framing by other sites: see `response_rules`).
//!
//! A hand-written tower service rather than `middleware::from_fn`: it runs on every request,
//! static files and pages included, so it boxes no future and clones no state it does not hand on.
//! The body limit and the answers' rules are folded into it rather than being layers of their own,
//! because each `Router::layer` call boxes every route once more and axum clones that chain of
//! boxes on every request.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{
    extract::{ConnectInfo, DefaultBodyLimit, Request},
    response::Response,
};
use futures::future::{Either, Ready, ready};
use http::{Method, header};
use tower::{Layer, Service};

use super::{
    auth::AuthConfig,
    csrf::OriginPolicy,
    endpoint::PageSlot,
    hub::Hub,
    peer::{Peer, TrustedProxies},
    response::error_response,
    response_rules::{FrameAncestors, ResponseRules, WithRules},
    site_key::{SignedCookies, SiteKey},
};
use crate::{
    error::MizanError,
    protocol::{API_PREFIX, FORM_PREFIX, MAX_BODY_BYTES},
};

/// mizan's layer: see the module docs. Built by [`Mizan::layer`](super::Mizan::layer); compose it
/// with the app's other layers in one `tower::ServiceBuilder` (see [`Mizan::wrap`](super::Mizan::wrap)).
#[derive(Clone)]
pub struct AdmitLayer {
    origins: Arc<OriginPolicy>,
    auth: Arc<AuthConfig>,
    hub: Hub,
    proxies: Arc<TrustedProxies>,
    /// What every answer gets unless it sets its own (see [`ResponseRules`]).
    rules: Arc<ResponseRules>,
    /// The key and `Secure` flag of the cookies mizan signs, handed to every request.
    signed_cookies: SignedCookies,
}

impl AdmitLayer {
    /// A layer applying `origins` and handing `auth` and the open sockets (`hub`: calls push
    /// their keys to them, sign-outs close them) to every request.
    pub fn new(origins: Arc<OriginPolicy>, auth: Arc<AuthConfig>, hub: Hub) -> Self {
        Self {
            origins,
            auth,
            hub,
            proxies: Arc::default(),
            rules: Arc::default(),
            // Until the app gives its own: valid in this process only.
            signed_cookies: SignedCookies {
                key: SiteKey::random(),
                secure: false,
            },
        }
    }

    /// The same, letting pages be framed by `ancestors` only.
    #[must_use]
    pub fn with_frame_ancestors(mut self, ancestors: &FrameAncestors) -> Self {
        self.rules = Arc::new(ResponseRules::new(ancestors));
        self
    }

    /// The same, signing cookies with `key`.
    #[must_use]
    pub fn with_secret_key(mut self, key: SiteKey) -> Self {
        self.signed_cookies.key = key;
        self
    }

    /// The same, marking the cookies it signs `Secure` (as the session cookie is) or not.
    #[must_use]
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.signed_cookies.secure = secure;
        self
    }

    /// The same, handing requests this hub.
    #[must_use]
    pub(crate) fn with_hub(mut self, hub: Hub) -> Self {
        self.hub = hub;
        self
    }

    /// The same, believing the forwarded headers of these proxies (see [`Peer`]).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }
}

impl<S> Layer<S> for AdmitLayer {
    type Service = WithRules<Admit<<DefaultBodyLimit as Layer<S>>::Service>>;

    fn layer(&self, inner: S) -> Self::Service {
        // The rules outside the checks: a refusal gets them too.
        WithRules {
            inner: Admit {
                inner: DefaultBodyLimit::max(MAX_BODY_BYTES).layer(inner),
                layer: self.clone(),
            },
            rules: Arc::clone(&self.rules),
        }
    }
}

/// The service [`AdmitLayer`] wraps around the app.
#[derive(Clone)]
pub struct Admit<S> {
    inner: S,
    layer: AdmitLayer,
}

impl<S> Service<Request> for Admit<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // Known when the server hands requests their TCP peer (`Site::serve`, `BoundListener`).
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| Peer::resolve(*addr, request.headers(), &self.layer.proxies));
        if let Err(refusal) = self
            .layer
            .refusal(&request, peer.as_ref().map_or("http", Peer::scheme))
        {
            return Either::Left(ready(Ok(error_response(&refusal))));
        }
        // Only the requests that read the signed cookies (form flashes) get their key: pages,
        // and form posts. Each extension is a boxed entry of the request's map, inserted,
        // cloned with the request's parts and dropped: a call has no use for this one.
        let get = request.method() == Method::GET;
        let signs_cookies = get
            || request.method() == Method::HEAD
            || request.uri().path().starts_with(FORM_PREFIX);
        let extensions = request.extensions_mut();
        extensions.insert(Arc::clone(&self.layer.auth));
        extensions.insert(self.layer.hub.clone());
        if signs_cookies {
            extensions.insert(self.layer.signed_cookies.clone());
        }
        if let Some(peer) = peer {
            extensions.insert(peer);
        }
        if get {
            extensions.insert(PageSlot::default());
        }
        Either::Right(self.inner.call(request))
    }
}

impl AdmitLayer {
    /// Why `request` is refused before routing, if it is: a cross-site state change (the
    /// [`OriginPolicy`], `403 FORBIDDEN`), or a call announcing a body over [`MAX_BODY_BYTES`]
    /// (`413 PAYLOAD_TOO_LARGE`, before anything is read).
    fn refusal(&self, request: &Request, scheme: &str) -> Result<(), MizanError> {
        if let Err(reason) = self
            .origins
            .check(request.method(), request.headers(), scheme)
        {
            tracing::warn!(
                method = %request.method(),
                path = request.uri().path(),
                origin = ?request.headers().get(header::ORIGIN),
                reason,
                "refused a cross-site request"
            );
            return Err(MizanError::forbidden(reason));
        }
        let announced_too_large = request.uri().path().starts_with(API_PREFIX)
            && request
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_some_and(|length| {
                    length
                        .to_str()
                        .ok()
                        .and_then(|text| text.parse::<u64>().ok())
                        .is_none_or(|length| length > MAX_BODY_BYTES as u64)
                });
        if announced_too_large {
            return Err(too_large());
        }
        Ok(())
    }
}

/// The `PAYLOAD_TOO_LARGE` every endpoint answers for a body over the limit.
pub(crate) fn too_large() -> MizanError {
    MizanError::payload_too_large(format!(
        "the request body is larger than {MAX_BODY_BYTES} bytes"
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;

    /// Which of the requests sent through mizan's layer carried the signed cookies' key.
    async fn carries_cookie_key(method: Method, path: &str) -> bool {
        let seen = Arc::new(Mutex::new(None));
        let inner = {
            let seen = Arc::clone(&seen);
            tower::service_fn(move |request: Request| {
                let carried = request.extensions().get::<SignedCookies>().is_some();
                *seen.lock().expect("not poisoned") = Some(carried);
                async { Ok::<_, Infallible>(Response::new(Body::empty())) }
            })
        };
        let layer = AdmitLayer::new(
            Arc::new(OriginPolicy::default()),
            Arc::new(AuthConfig::default()),
            Hub::default(),
        );
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .expect("a request");
        layer
            .layer(inner)
            .oneshot(request)
            .await
            .expect("infallible");
        seen.lock()
            .expect("not poisoned")
            .expect("the request reached the app")
    }

    #[tokio::test]
    async fn only_pages_and_form_posts_get_the_signed_cookies_key() {
        assert!(carries_cookie_key(Method::GET, "/contact").await);
        assert!(carries_cookie_key(Method::HEAD, "/contact").await);
        assert!(carries_cookie_key(Method::POST, "/api/mizan/form/contact").await);
        // A call neither reads nor writes a flash: its request is spared the extension.
        assert!(!carries_cookie_key(Method::POST, "/api/mizan/call/").await);
        assert!(!carries_cookie_key(Method::POST, "/api/mizan/fn/echo").await);
    }
}
