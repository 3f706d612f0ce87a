//! The rules every answer of a mizan app gets unless it set its own: no cache may keep it
//! (`Cache-Control: private, no-store`, since pages and calls depend on who asks), files served as
//! they are excepted; and no other site may show it in a frame (clickjacking).
//!
//! Applied by the service [`AdmitLayer`](super::admit::AdmitLayer) puts around the app, outside
//! its own checks (refusals get the rules too), not by a layer of its own: each `Router::layer`
//! call boxes every route once more.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use axum::{extract::Request, response::Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use pin_project_lite::pin_project;
use tower::Service;

/// The cache rule of an answer that depends on who asks: no cache, shared or the browser's own,
/// keeps it.
const PRIVATE_NO_STORE: HeaderValue = HeaderValue::from_static("private, no-store");

/// Who may show the site's pages in a frame: the `frame-ancestors` of a
/// `Content-Security-Policy` header, with `X-Frame-Options` for browsers that predate it.
/// Set with [`Site::frame_ancestors`](super::Site::frame_ancestors); a response that carries its
/// own `Content-Security-Policy` or `X-Frame-Options` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameAncestors(Ancestors);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ancestors {
    SameOrigin,
    Nobody,
    Anybody,
    Origins(Vec<String>),
}

/// An origin [`FrameAncestors::origins`] cannot put in the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{origin}` is not an origin a page may be framed by: write one like `https://partner.example` \
     (a scheme and a host, optionally a port; no space, `;` or `,`)"
)]
pub struct InvalidFrameAncestor {
    /// The origin given.
    pub origin: String,
}

impl Default for FrameAncestors {
    fn default() -> Self {
        Self::same_origin()
    }
}

impl FrameAncestors {
    /// Only the site's own pages may frame it (the default): `frame-ancestors 'self'` and
    /// `X-Frame-Options: SAMEORIGIN`.
    pub fn same_origin() -> Self {
        Self(Ancestors::SameOrigin)
    }

    /// No page may frame it, not even the site's own: `frame-ancestors 'none'` and
    /// `X-Frame-Options: DENY`.
    pub fn none() -> Self {
        Self(Ancestors::Nobody)
    }

    /// Any page may frame it: neither header is sent (for a site made to be embedded).
    pub fn any() -> Self {
        Self(Ancestors::Anybody)
    }

    /// The site's own pages and those of these origins (`https://partner.example`):
    /// `frame-ancestors 'self' <origins>`. `X-Frame-Options` cannot name origins, so it is not
    /// sent: browsers too old for `frame-ancestors` allow any framing.
    pub fn origins(
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, InvalidFrameAncestor> {
        let origins: Vec<String> = origins.into_iter().map(Into::into).collect();
        for origin in &origins {
            // A space, `;` or `,` would add sources or directives of the caller's choosing.
            let valid = origin.contains("://")
                && origin
                    .bytes()
                    .all(|byte| byte.is_ascii_graphic() && !matches!(byte, b';' | b',' | b'\''));
            if !valid {
                return Err(InvalidFrameAncestor {
                    origin: origin.clone(),
                });
            }
        }
        Ok(Self(Ancestors::Origins(origins)))
    }

    /// The two headers' values (`None`: not sent).
    fn header_values(&self) -> (Option<HeaderValue>, Option<HeaderValue>) {
        match &self.0 {
            Ancestors::SameOrigin => (
                Some(HeaderValue::from_static("frame-ancestors 'self'")),
                Some(HeaderValue::from_static("SAMEORIGIN")),
            ),
            Ancestors::Nobody => (
                Some(HeaderValue::from_static("frame-ancestors 'none'")),
                Some(HeaderValue::from_static("DENY")),
            ),
            Ancestors::Anybody => (None, None),
            Ancestors::Origins(origins) => {
                let policy = format!("frame-ancestors 'self' {}", origins.join(" "));
                // The origins were checked to be visible ASCII when made.
                (HeaderValue::from_str(&policy).ok(), None)
            }
        }
    }
}

/// The rules, with their header values made once.
#[derive(Debug, Clone)]
pub(crate) struct ResponseRules {
    frame_policy: Option<HeaderValue>,
    frame_options: Option<HeaderValue>,
}

impl Default for ResponseRules {
    fn default() -> Self {
        Self::new(&FrameAncestors::default())
    }
}

impl ResponseRules {
    /// The rules with this framing policy.
    pub(crate) fn new(frame_ancestors: &FrameAncestors) -> Self {
        let (frame_policy, frame_options) = frame_ancestors.header_values();
        Self {
            frame_policy,
            frame_options,
        }
    }

    /// Adds to `response` each rule it does not set itself.
    pub(crate) fn apply(&self, response: &mut Response) {
        let status = response.status();
        let headers = response.headers_mut();
        // Through `entry`: one look-up per rule rather than a test and then an insert.
        if !is_file(status, headers) {
            headers
                .entry(header::CACHE_CONTROL)
                .or_insert(PRIVATE_NO_STORE);
        }
        set_unless_present(
            headers,
            header::CONTENT_SECURITY_POLICY,
            self.frame_policy.as_ref(),
        );
        set_unless_present(
            headers,
            header::X_FRAME_OPTIONS,
            self.frame_options.as_ref(),
        );
    }
}

/// Whether the answer is a file served as it is (the site's `/pkg/` bundle and assets, a client
/// app's files): it carries a validator (`Last-Modified`, `ETag`), or confirms one (`304`).
/// Such a file is the same for everyone; it stays cacheable as its server made it. A `304` must
/// not carry a rule either: a cache would apply it to the copy it keeps.
fn is_file(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::NOT_MODIFIED
        || headers.contains_key(header::LAST_MODIFIED)
        || headers.contains_key(header::ETAG)
}

fn set_unless_present(headers: &mut HeaderMap, name: HeaderName, value: Option<&HeaderValue>) {
    if let Some(value) = value {
        headers.entry(name).or_insert_with(|| value.clone());
    }
}

/// The service applying [`ResponseRules`] to every answer of `inner`.
#[derive(Clone)]
pub struct WithRules<S> {
    pub(crate) inner: S,
    pub(crate) rules: Arc<ResponseRules>,
}

impl<S> Service<Request> for WithRules<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = RulesFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        RulesFuture {
            inner: self.inner.call(request),
            rules: Arc::clone(&self.rules),
        }
    }
}

pin_project! {
    /// The answer of [`WithRules`]: the inner one, with the rules applied.
    pub struct RulesFuture<F> {
        #[pin]
        inner: F,
        rules: Arc<ResponseRules>,
    }
}

impl<F, E> Future for RulesFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        this.rules.apply(&mut response);
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use axum::response::Response;
    use http::{HeaderValue, StatusCode, header};

    use super::{FrameAncestors, ResponseRules};

    fn answered(rules: &ResponseRules, build: impl FnOnce(&mut Response)) -> Response {
        let mut response = Response::new(axum::body::Body::empty());
        build(&mut response);
        rules.apply(&mut response);
        response
    }

    #[test]
    fn an_answer_without_rules_gets_them_and_one_with_its_own_keeps_them() {
        let rules = ResponseRules::default();
        let plain = answered(&rules, |_| {});
        assert_eq!(plain.headers()[header::CACHE_CONTROL], "private, no-store");
        assert_eq!(
            plain.headers()[header::CONTENT_SECURITY_POLICY],
            "frame-ancestors 'self'"
        );
        assert_eq!(plain.headers()[header::X_FRAME_OPTIONS], "SAMEORIGIN");

        let own = answered(&rules, |response| {
            let headers = response.headers_mut();
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=60"),
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'self'"),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        });
        assert_eq!(own.headers()[header::CACHE_CONTROL], "max-age=60");
        assert_eq!(
            own.headers()[header::CONTENT_SECURITY_POLICY],
            "default-src 'self'"
        );
        assert_eq!(own.headers()[header::X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn a_file_served_as_it_is_stays_cacheable() {
        let rules = ResponseRules::default();
        let file = answered(&rules, |response| {
            response.headers_mut().insert(
                header::LAST_MODIFIED,
                HeaderValue::from_static("Tue, 01 Dec 2026 00:00:00 GMT"),
            );
        });
        assert!(!file.headers().contains_key(header::CACHE_CONTROL));
        let confirmed = answered(&rules, |response| {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
        });
        assert!(!confirmed.headers().contains_key(header::CACHE_CONTROL));
    }

    #[test]
    fn framing_can_be_opened_to_origins_or_anyone_and_bad_origins_are_refused() {
        let partners = FrameAncestors::origins(["https://partner.example"]).expect("valid");
        let framed = answered(&ResponseRules::new(&partners), |_| {});
        assert_eq!(
            framed.headers()[header::CONTENT_SECURITY_POLICY],
            "frame-ancestors 'self' https://partner.example"
        );
        assert!(!framed.headers().contains_key(header::X_FRAME_OPTIONS));

        let open = answered(&ResponseRules::new(&FrameAncestors::any()), |_| {});
        assert!(!open.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        assert!(!open.headers().contains_key(header::X_FRAME_OPTIONS));

        let closed = answered(&ResponseRules::new(&FrameAncestors::none()), |_| {});
        assert_eq!(closed.headers()[header::X_FRAME_OPTIONS], "DENY");

        for bad in [
            "https://a.example; script-src *",
            "https://a.example https://b.example",
            "partner.example",
            "'self'",
        ] {
            assert!(FrameAncestors::origins([bad]).is_err(), "{bad}");
        }
    }
}
