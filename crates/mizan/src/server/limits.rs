//! The bounds on what one client may hold open or make the server wait for, with their
//! defaults: the settings of [`Site::limits`](super::Site::limits).

use std::time::Duration;

/// Per-client bounds the server enforces. Every field has a default suited to a public site;
/// change the ones an app needs:
///
/// ```
/// use std::time::Duration;
///
/// let limits = mizan::server::Limits::default()
///     .with_sockets_per_address(500) // an office behind one NAT address
///     .with_header_read_timeout(Duration::from_secs(5));
/// assert_eq!(limits.sockets_per_address, 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Sockets and event streams one session may hold open at once (a browser opens one per
    /// tab). Past it, a new one is refused with `429 RATE_LIMITED`. Default 32.
    pub sockets_per_session: usize,
    /// Sockets and event streams one client address may hold open at once, signed in or not
    /// (behind a trusted proxy, the address it forwards). Past it, `429 RATE_LIMITED`.
    /// Default 64.
    pub sockets_per_address: usize,
    /// How long a connection may take to send a request's headers, and how long an idle
    /// keep-alive connection stays open waiting for its next request. Default 10 s.
    pub header_read_timeout: Duration,
    /// How often an open socket reads its session and user again from the stores (a session
    /// removed or expired elsewhere, a user deleted, renamed or with other rights): one that
    /// would now act as someone else or with other rights is closed (4001) and its client
    /// reconnects as who it now is; the others go on as the user now is. Changes an app makes
    /// itself are read at once ([`RequestContext::user_changed`](super::RequestContext::user_changed)).
    /// Default 30 s.
    pub identity_recheck: Duration,
}

/// The shortest timeout or period a [`Limits`] takes: a zero one would close every connection
/// at once, or check identities without pause.
pub(crate) const SHORTEST: Duration = Duration::from_millis(100);

impl Default for Limits {
    fn default() -> Self {
        Self {
            sockets_per_session: 32,
            sockets_per_address: 64,
            header_read_timeout: Duration::from_secs(10),
            identity_recheck: Duration::from_secs(30),
        }
    }
}

impl Limits {
    /// With [`sockets_per_session`](Self::sockets_per_session) set.
    #[must_use]
    pub const fn with_sockets_per_session(mut self, count: usize) -> Self {
        self.sockets_per_session = count;
        self
    }

    /// With [`sockets_per_address`](Self::sockets_per_address) set.
    #[must_use]
    pub const fn with_sockets_per_address(mut self, count: usize) -> Self {
        self.sockets_per_address = count;
        self
    }

    /// With [`header_read_timeout`](Self::header_read_timeout) set (at least 100 ms).
    #[must_use]
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout.max(SHORTEST);
        self
    }

    /// With [`identity_recheck`](Self::identity_recheck) set (at least 100 ms).
    #[must_use]
    pub fn with_identity_recheck(mut self, every: Duration) -> Self {
        self.identity_recheck = every.max(SHORTEST);
        self
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Limits, SHORTEST};

    #[test]
    fn a_zero_timeout_or_period_is_the_shortest_one() {
        let limits = Limits::default()
            .with_header_read_timeout(Duration::ZERO)
            .with_identity_recheck(Duration::ZERO);
        assert_eq!(limits.header_read_timeout, SHORTEST);
        assert_eq!(limits.identity_recheck, SHORTEST);
    }
}
