//! Cross-site request refusal for every state-changing request (Fetch Metadata, then Origin).
//!
//! Policy: `GET`, `HEAD` and `OPTIONS` pass. Any other method passes when `Sec-Fetch-Site` is
//! `same-origin` or `none` (typed URL, bookmark); otherwise, when an `Origin` header is present it
//! must equal the site's own origin or a trusted one; a browser request marked
//! `cross-site`/`same-site` without an acceptable `Origin` is refused. A request with neither header
//! (curl, server to server) passes: it carries no ambient browser credentials to abuse.
//!
//! The site's own origin is scheme, host and port, all three compared: the configured
//! [`site origin`](OriginPolicy::with_site_origin) when the app set one, else the scheme the
//! client used (plain `http`, or what a trusted proxy forwards) with the request's `Host`.

use http::{HeaderMap, HeaderName, Method, header};

/// `Sec-Fetch-Site`, named once: looking a header up by a `&str` parses the name on every request.
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Which origins besides the site itself may send state-changing requests.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    trusted: Vec<String>,
    site: Option<String>,
}

impl OriginPolicy {
    /// A policy trusting these extra origins (`https://app.example.com`, no trailing slash).
    pub fn new(trusted: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            trusted: trusted
                .into_iter()
                .map(|origin| normalize(&origin.into()))
                .collect(),
            site: None,
        }
    }

    /// The site's own origin as its visitors reach it (`https://app.example.com`, or with a
    /// port): requests are then compared with it rather than with their `Host` header and the
    /// scheme the server sees (set it behind a proxy that is not trusted to forward the scheme).
    #[must_use]
    pub fn with_site_origin(mut self, origin: impl Into<String>) -> Self {
        self.site = Some(normalize(&origin.into()));
        self
    }

    /// `Ok` when the request may proceed, else why not. `scheme` is the one the client used
    /// (`http`, or `https` behind a trusted proxy that says so).
    pub fn check(
        &self,
        method: &Method,
        headers: &HeaderMap,
        scheme: &str,
    ) -> Result<(), &'static str> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let fetch_site = headers.get(SEC_FETCH_SITE).and_then(|v| v.to_str().ok());
        if fetch_site.is_some_and(|site| {
            site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none")
        }) {
            return Ok(());
        }
        match headers.get(header::ORIGIN).map(|v| v.to_str()) {
            Some(Ok(origin)) if self.allows(origin, headers, scheme) => Ok(()),
            Some(Ok(_)) => Err("cross-origin request refused"),
            Some(Err(_)) => Err("malformed Origin header"),
            None if fetch_site.is_some() => Err("cross-site request refused"),
            None => Ok(()),
        }
    }

    /// `Ok` when a WebSocket upgrade may proceed, else why not. Browsers send `Origin` on every
    /// upgrade and no Fetch Metadata exemption applies: without an acceptable `Origin` (the
    /// site's own or a trusted one) a page of another site could open a socket with the user's
    /// cookie (cross-site WebSocket hijacking).
    pub fn check_upgrade(&self, headers: &HeaderMap, scheme: &str) -> Result<(), &'static str> {
        match headers.get(header::ORIGIN).map(|v| v.to_str()) {
            Some(Ok(origin)) if self.allows(origin, headers, scheme) => Ok(()),
            Some(Ok(_)) => Err("cross-origin WebSocket refused"),
            Some(Err(_)) => Err("malformed Origin header"),
            None => Err("a WebSocket upgrade needs an Origin header"),
        }
    }

    /// `Ok` when an event stream (the socket's fallback, `GET`) may open, else why not. Opening
    /// one acts as the user, like a state-changing request, so the same rule applies: an
    /// `EventSource` of another site is refused by its `Sec-Fetch-Site` and `Origin`.
    pub fn check_stream(&self, headers: &HeaderMap, scheme: &str) -> Result<(), &'static str> {
        self.check(&Method::POST, headers, scheme)
    }
}

impl OriginPolicy {
    /// Whether `origin` is the site's own or a trusted one.
    fn allows(&self, origin: &str, headers: &HeaderMap, scheme: &str) -> bool {
        let origin = normalize(origin);
        if self.trusted.contains(&origin) {
            return true;
        }
        match &self.site {
            Some(site) => *site == origin,
            None => headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
                .is_some_and(|host| normalize(&format!("{scheme}://{host}")) == origin),
        }
    }
}

/// An origin as compared: lower case, no trailing slash, no default port (`:80` for `http`,
/// `:443` for `https`: browsers leave it out of `Origin`, some clients write it in `Host`).
fn normalize(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if origin.starts_with(scheme)
            && let Some(bare) = origin.strip_suffix(port)
        {
            return bare.to_owned();
        }
    }
    origin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn upgrades_need_the_sites_origin_or_a_trusted_one() {
        let policy = OriginPolicy::new(["https://admin.example.com"]);
        let ok =
            |pairs: &[(&'static str, &str)]| policy.check_upgrade(&headers(pairs), "https").is_ok();
        assert!(ok(&[
            ("host", "app.example.com"),
            ("origin", "https://app.example.com")
        ]));
        assert!(ok(&[
            ("host", "app.example.com"),
            ("origin", "https://admin.example.com")
        ]));
        assert!(!ok(&[
            ("host", "app.example.com"),
            ("origin", "https://evil.example")
        ]));
        assert!(!ok(&[("host", "app.example.com")]), "no Origin, no socket");
        assert!(!ok(&[
            ("host", "app.example.com"),
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "same-origin"),
        ]));
    }

    #[test]
    fn policy_table() {
        let policy = OriginPolicy::new(["https://partner.example"]);
        let post = Method::POST;
        let host = ("host", "127.0.0.1:3000");
        assert!(
            policy
                .check(
                    &Method::GET,
                    &headers(&[("sec-fetch-site", "cross-site")]),
                    "http"
                )
                .is_ok()
        );
        assert!(
            policy
                .check(
                    &post,
                    &headers(&[("sec-fetch-site", "same-origin")]),
                    "http"
                )
                .is_ok()
        );
        assert!(policy.check(&post, &headers(&[]), "http").is_ok(), "curl");
        assert!(
            policy
                .check(
                    &post,
                    &headers(&[host, ("origin", "http://127.0.0.1:3000")]),
                    "http"
                )
                .is_ok()
        );
        assert!(
            policy
                .check(
                    &post,
                    &headers(&[host, ("origin", "https://partner.example/")]),
                    "http"
                )
                .is_ok()
        );
        assert!(
            policy
                .check(
                    &post,
                    &headers(&[host, ("origin", "https://evil.example")]),
                    "http"
                )
                .is_err()
        );
        assert!(
            policy
                .check(
                    &post,
                    &headers(&[
                        host,
                        ("sec-fetch-site", "cross-site"),
                        ("origin", "https://evil.example")
                    ]),
                    "http"
                )
                .is_err()
        );
        assert!(
            policy
                .check(&post, &headers(&[("sec-fetch-site", "cross-site")]), "http")
                .is_err()
        );
        assert!(
            policy
                .check(&post, &headers(&[("sec-fetch-site", "same-site")]), "http")
                .is_err()
        );
    }

    #[test]
    fn sec_fetch_site_is_read_whatever_its_case() {
        let policy = OriginPolicy::default();
        let post = Method::POST;
        for exempt in ["Same-Origin", "NONE", "same-origin"] {
            let headers = headers(&[
                ("sec-fetch-site", exempt),
                ("origin", "https://evil.example"),
            ]);
            assert!(policy.check(&post, &headers, "http").is_ok(), "{exempt}");
        }
        let cross = headers(&[("sec-fetch-site", "Cross-Site")]);
        assert_eq!(
            policy.check(&post, &cross, "http"),
            Err("cross-site request refused")
        );
    }

    #[test]
    fn the_scheme_is_part_of_the_origin() {
        let policy = OriginPolicy::default();
        let post = Method::POST;
        let on = |origin: &str, scheme: &str| {
            policy
                .check(
                    &post,
                    &headers(&[("host", "app.example"), ("origin", origin)]),
                    scheme,
                )
                .is_ok()
        };
        assert!(on("http://app.example", "http"));
        assert!(!on("https://app.example", "http"), "https page, http site");
        assert!(!on("http://app.example", "https"), "http page, https site");
        assert!(on("https://app.example", "https"));
        assert!(
            on("http://app.example:80", "http"),
            "the default port is no other origin"
        );
        assert!(!on("http://app.example:8080", "http"));
        let upgrade = |origin: &str, scheme: &str| {
            policy
                .check_upgrade(
                    &headers(&[("host", "app.example"), ("origin", origin)]),
                    scheme,
                )
                .is_ok()
        };
        assert!(!upgrade("https://app.example", "http"));
        assert!(upgrade("http://app.example", "http"));
    }

    #[test]
    fn a_configured_site_origin_replaces_the_host_header() {
        let policy = OriginPolicy::default().with_site_origin("https://app.example/");
        let post = Method::POST;
        let check = |host: &str, origin: &str| {
            policy
                .check(
                    &post,
                    &headers(&[("host", host), ("origin", origin)]),
                    "http",
                )
                .is_ok()
        };
        assert!(
            check("10.0.0.5:3000", "https://app.example"),
            "behind a proxy"
        );
        assert!(!check("app.example", "http://app.example"));
        assert!(
            !check("evil.example", "https://evil.example"),
            "Host no longer counts"
        );
    }
}
