//! Who a request without an API key is counted as: its peer address,
//! from the `ConnectInfo<SocketAddr>` the transport puts on the request.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::Extensions;

/// The bucket a keyless request is throttled in.
///
/// The port is left out (each connection has its own, so counting by it
/// would let a client go round the limit by reconnecting), and an IPv6
/// client is its /64: one host is usually given a whole /64 and can pick
/// any address in it. An IPv4-mapped IPv6 address (a dual-stack listener's
/// view of an IPv4 peer) is that IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ClientAddress {
    /// No `ConnectInfo` on the request (in-process callers, front ends
    /// that do not set it): all such requests share one bucket.
    Unknown,
    /// An IPv4 peer.
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 peer.
    V6Prefix([u8; 8]),
}

impl ClientAddress {
    /// The bucket of a request with these extensions.
    pub(crate) fn of(extensions: &Extensions) -> Self {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(Self::Unknown, |ConnectInfo(peer)| Self::from(peer.ip()))
    }
}

impl From<IpAddr> for ClientAddress {
    fn from(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self::V4(v4.octets()),
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return Self::V4(v4.octets());
                }
                let mut prefix = [0; 8];
                prefix.copy_from_slice(&v6.octets()[..8]);
                Self::V6Prefix(prefix)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(peer: &str) -> ClientAddress {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        ClientAddress::of(&extensions)
    }

    #[test]
    fn peers_share_a_bucket_exactly_when_they_are_the_same_client() {
        let cases = [
            (
                "192.0.2.1:1000",
                "192.0.2.1:2000",
                true,
                "another port of one host",
            ),
            (
                "192.0.2.1:1000",
                "192.0.2.2:1000",
                false,
                "another IPv4 host",
            ),
            (
                "192.0.2.1:1000",
                "[::ffff:192.0.2.1]:1000",
                true,
                "IPv4-mapped IPv6",
            ),
            (
                "[2001:db8:0:1::1]:1",
                "[2001:db8:0:1::ffff]:1",
                true,
                "one IPv6 /64",
            ),
            (
                "[2001:db8:0:1::1]:1",
                "[2001:db8:0:2::1]:1",
                false,
                "another /64",
            ),
        ];
        for (one, other, same, reason) in cases {
            assert_eq!(bucket(one) == bucket(other), same, "{reason}");
        }
    }

    #[test]
    fn requests_without_a_peer_address_share_one_bucket() {
        assert_eq!(
            ClientAddress::of(&Extensions::new()),
            ClientAddress::Unknown
        );
        assert_ne!(bucket("192.0.2.1:1000"), ClientAddress::Unknown);
    }
}
