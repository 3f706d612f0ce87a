//! Cross-site request refusal for every state-changing request (Fetch Metadata, then Origin).
//!
//! Policy: `GET`, `HEAD` and `OPTIONS` pass. Any other method passes when `Sec-Fetch-Site` is
//! `same-origin` or `none` (typed URL, bookmark); otherwise, when an `Origin` header is present it
//! must equal the request's own origin (`Host`) or a trusted origin; a browser request marked
//! `cross-site`/`same-site` without an acceptable `Origin` is refused. A request with neither header
//! (curl, server to server) passes: it carries no ambient browser credentials to abuse.

use http::{HeaderMap, Method, header};

/// Which origins besides the site itself may send state-changing requests.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    trusted: Vec<String>,
}

impl OriginPolicy {
    /// A policy trusting these extra origins (`https://app.example.com`, no trailing slash).
    pub fn new(trusted: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            trusted: trusted
                .into_iter()
                .map(|o| o.into().trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }

    /// `Ok` when the request may proceed, else why not.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), &'static str> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        if matches!(fetch_site.as_deref(), Some("same-origin" | "none")) {
            return Ok(());
        }
        match headers.get(header::ORIGIN).map(|v| v.to_str()) {
            Some(Ok(origin)) if self.allows(origin, headers) => Ok(()),
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
    pub fn check_upgrade(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        match headers.get(header::ORIGIN).map(|v| v.to_str()) {
            Some(Ok(origin)) if self.allows(origin, headers) => Ok(()),
            Some(Ok(_)) => Err("cross-origin WebSocket refused"),
            Some(Err(_)) => Err("malformed Origin header"),
            None => Err("a WebSocket upgrade needs an Origin header"),
        }
    }

    /// `Ok` when an event stream (the socket's fallback, `GET`) may open, else why not. Opening
    /// one acts as the user, like a state-changing request, so the same rule applies: an
    /// `EventSource` of another site is refused by its `Sec-Fetch-Site` and `Origin`.
    pub fn check_stream(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        self.check(&Method::POST, headers)
    }
}

impl OriginPolicy {
    /// Whether `origin` is the request's own (its `Host`) or a trusted one.
    fn allows(&self, origin: &str, headers: &HeaderMap) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        self.trusted.contains(&origin) || same_host(&origin, headers)
    }
}

/// Whether `origin` (`scheme://host[:port]`) names the host the request was sent to.
fn same_host(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
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
        let ok = |pairs: &[(&'static str, &str)]| policy.check_upgrade(&headers(pairs)).is_ok();
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
                .check(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")]))
                .is_ok()
        );
        assert!(
            policy
                .check(&post, &headers(&[("sec-fetch-site", "same-origin")]))
                .is_ok()
        );
        assert!(policy.check(&post, &headers(&[])).is_ok(), "curl");
        assert!(
            policy
                .check(
                    &post,
                    &headers(&[host, ("origin", "http://127.0.0.1:3000")])
                )
                .is_ok()
        );
        assert!(
            policy
                .check(
                    &post,
                    &headers(&[host, ("origin", "https://partner.example/")])
                )
                .is_ok()
        );
        assert!(
            policy
                .check(&post, &headers(&[host, ("origin", "https://evil.example")]))
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
                    ])
                )
                .is_err()
        );
        assert!(
            policy
                .check(&post, &headers(&[("sec-fetch-site", "cross-site")]))
                .is_err()
        );
        assert!(
            policy
                .check(&post, &headers(&[("sec-fetch-site", "same-site")]))
                .is_err()
        );
    }
}
