//! Who a request comes from on the network: the TCP peer's address and scheme, or, when that
//! peer is a trusted proxy, the client address and scheme the proxy forwards.
//!
//! Forwarded headers are believed only from the proxies the app names
//! ([`Site::trusted_proxies`](super::Site::trusted_proxies)): any client can send
//! `X-Forwarded-For`, so from anyone else they are ignored, and a client cannot pick the address
//! its limits are counted under.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

/// A trusted proxy that is neither an address nor a network.
#[derive(Debug, thiserror::Error)]
#[error("`{entry}` is not an IP address or a network (such as `10.0.0.0/8`)")]
pub struct ProxyListError {
    /// The entry as written.
    pub entry: String,
}

impl TrustedProxies {
    /// Proxies at these addresses or networks (`127.0.0.1`, `10.0.0.0/8`, `::1`).
    pub fn parse(
        entries: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, ProxyListError> {
        let networks = entries
            .into_iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| ProxyListError {
                        entry: entry.to_owned(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { networks })
    }

    /// Whether `addr` is one of them.
    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.networks.iter().any(|network| network.contains(&addr))
    }

    /// Whether any proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }
}

/// The address `addr`'s limits count under: an IPv4 address (mapped into IPv6 or not), or an
/// IPv6 address's `/64` network.
pub(crate) fn counted_as(addr: IpAddr) -> IpAddr {
    match canonical(addr) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// An IPv4 address mapped into IPv6 (a dual-stack listener's peers) as the IPv4 address it is.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The client of a request as mizan counts it: a request extension set by mizan's layer when
/// the server knows the TCP peer (served by [`Site::serve`](super::Site::serve) or
/// [`BoundListener`](super::BoundListener), which pass it on). Read it with
/// [`RequestContext::peer`](super::RequestContext::peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    addr: IpAddr,
    https: bool,
}

impl Peer {
    /// The client's address: the TCP peer's, or the one a trusted proxy forwarded.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The address the client's limits count under: its IPv4 address, or its IPv6 address's
    /// `/64` network (one client usually holds a whole `/64`, and could otherwise open a new
    /// address for every socket).
    pub fn counted_as(&self) -> IpAddr {
        counted_as(self.addr)
    }

    /// Whether the client reached the site over HTTPS (only a trusted proxy can say so: mizan
    /// itself serves plain HTTP).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The URL scheme the client used.
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// The scheme of the request whose extensions these are: `http` when the peer is unknown
    /// (mizan serves no TLS itself).
    pub(crate) fn scheme_of(extensions: &http::Extensions) -> &'static str {
        extensions.get::<Self>().map_or("http", Self::scheme)
    }

    /// The client of a request that came from `connected`, with these headers.
    pub(crate) fn resolve(
        connected: SocketAddr,
        headers: &HeaderMap,
        proxies: &TrustedProxies,
    ) -> Self {
        let direct = canonical(connected.ip());
        if !proxies.trusts(direct) {
            return Self {
                addr: direct,
                https: false,
            };
        }
        // Each proxy appends the address it was reached from: walking from the right, the first
        // address that is not a trusted proxy is the client's. What a client wrote itself is to
        // the left of it, and never read.
        let mut addr = direct;
        for entry in forwarded_values(headers, "x-forwarded-for").rev() {
            // Some proxies write the client's port too (`1.2.3.4:5678`, `[::1]:5678`).
            let hop = entry
                .parse::<IpAddr>()
                .or_else(|_| entry.parse::<SocketAddr>().map(|with_port| with_port.ip()));
            match hop.map(canonical) {
                Ok(hop) if proxies.trusts(hop) => addr = hop,
                Ok(hop) => {
                    addr = hop;
                    break;
                }
                // A value that is not an address (`unknown`, a port): nothing further left is
                // believed.
                Err(_) => break,
            }
        }
        // The nearest proxy's word on the scheme: what it set, not what the client sent before it.
        let https = forwarded_values(headers, "x-forwarded-proto")
            .next_back()
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https"));
        Self { addr, https }
    }
}

/// The comma-separated values of every `name` header, in order.
fn forwarded_values<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> impl DoubleEndedIterator<Item = &'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::{Peer, TrustedProxies};
    use http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("header value"));
        }
        map
    }

    fn peer(from: &str, pairs: &[(&'static str, &str)], proxies: &[&str]) -> Peer {
        let proxies = TrustedProxies::parse(proxies).expect("proxies");
        Peer::resolve(from.parse().expect("addr"), &headers(pairs), &proxies)
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_the_peer_is_a_trusted_proxy() {
        let spoofed = [
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https"),
        ];
        let direct = peer("198.51.100.7:5000", &spoofed, &[]);
        assert_eq!(direct.addr().to_string(), "198.51.100.7");
        assert!(!direct.is_https());
        let via_other = peer("198.51.100.7:5000", &spoofed, &["10.0.0.0/8"]);
        assert_eq!(via_other.addr().to_string(), "198.51.100.7");
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies = ["10.0.0.0/8", "127.0.0.1"];
        let through = peer(
            "127.0.0.1:5000",
            &[
                // The client wrote the first entry itself: it is never believed.
                ("x-forwarded-for", "1.2.3.4, 203.0.113.9"),
                ("x-forwarded-for", "10.1.2.3"),
                ("x-forwarded-proto", "http, https"),
            ],
            &proxies,
        );
        assert_eq!(through.addr().to_string(), "203.0.113.9");
        assert!(through.is_https());
        assert_eq!(through.scheme(), "https");
        let garbage = peer(
            "127.0.0.1:5000",
            &[("x-forwarded-for", "1.2.3.4, unknown")],
            &proxies,
        );
        assert_eq!(
            garbage.addr().to_string(),
            "127.0.0.1",
            "nothing past garbage"
        );
        let mapped = peer(
            "[::ffff:127.0.0.1]:5000",
            &[("x-forwarded-for", "5.6.7.8")],
            &proxies,
        );
        assert_eq!(
            mapped.addr().to_string(),
            "5.6.7.8",
            "an IPv4-mapped proxy is trusted"
        );
    }

    #[test]
    fn forwarded_addresses_with_ports_are_read_and_ipv6_clients_count_by_their_64() {
        let proxies = ["127.0.0.1"];
        let with_port = peer(
            "127.0.0.1:5000",
            &[(
                "x-forwarded-for",
                "[2001:db8:1:2:3:4:5:6]:443, 203.0.113.9:5678",
            )],
            &proxies,
        );
        assert_eq!(with_port.addr().to_string(), "203.0.113.9");
        assert_eq!(with_port.counted_as().to_string(), "203.0.113.9");
        let v6 = peer("[2001:db8:1:2:3:4:5:6]:5000", &[], &[]);
        let neighbour = peer("[2001:db8:1:2:ffff::1]:5000", &[], &[]);
        assert_eq!(v6.counted_as(), neighbour.counted_as());
        assert_eq!(v6.counted_as().to_string(), "2001:db8:1:2::");
        assert_ne!(
            v6.counted_as(),
            peer("[2001:db8:1:3::1]:5000", &[], &[]).counted_as()
        );
    }

    #[test]
    fn a_proxy_list_entry_that_is_no_address_is_a_typed_error() {
        let error = TrustedProxies::parse(["10.0.0.0/8", "proxy.local"]).expect_err("refused");
        assert_eq!(error.entry, "proxy.local");
        assert!(error.to_string().contains("proxy.local"));
    }
}
