//! Which address a request comes from.
//!
//! `X-Forwarded-For` is trivially forged by clients, so it is believed only when the socket peer
//! is one of the configured trusted proxies. Then the header is read from right to left, skipping
//! further trusted hops; the first untrusted address is the client. With no trusted proxies
//! configured (the default) the socket peer is the client.

use std::{net::IpAddr, str::FromStr};

use ipnet::IpNet;

/// The networks whose `X-Forwarded-For` header we believe.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parse a comma-separated list of CIDRs or bare addresses (`"10.0.0.0/8, 127.0.0.1"`).
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = IpNet::from_str(part)
                .or_else(|_| IpAddr::from_str(part).map(IpNet::from))
                .map_err(|_| format!("not an IP network: {part}"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are treated as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client address for a request from `peer` carrying `forwarded_for` (the raw header).
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer_ip = canonical(peer?);
    if !trusted.contains(peer_ip) {
        return Some(peer_ip);
    }
    let Some(header) = forwarded_for else {
        return Some(peer_ip);
    };
    let hops: Vec<IpAddr> = header
        .split(',')
        .filter_map(|h| {
            let h = h.trim();
            // Tolerate "1.2.3.4:5678" and "[::1]:80" forms some proxies write.
            IpAddr::from_str(h)
                .ok()
                .or_else(|| h.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        })
        .map(canonical)
        .collect();
    for hop in hops.iter().rev() {
        if !trusted.contains(*hop) {
            return Some(*hop);
        }
    }
    hops.first().copied().or(Some(peer_ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let trusted = TrustedProxies::default();
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), Some("1.1.1.1"), &trusted),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn trusted_proxy_yields_the_rightmost_untrusted_hop() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let got = client_ip(
            Some(ip("10.0.0.2")),
            Some("6.6.6.6, 198.51.100.7, 10.0.0.5"),
            &trusted,
        );
        assert_eq!(
            got,
            Some(ip("198.51.100.7")),
            "a client-supplied left-most entry must not win"
        );
    }

    #[test]
    fn trusted_proxy_without_header_is_the_client() {
        let trusted = TrustedProxies::parse("127.0.0.1").unwrap();
        assert_eq!(
            client_ip(Some(ip("127.0.0.1")), None, &trusted),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn mapped_ipv6_peers_match_ipv4_networks() {
        let trusted = TrustedProxies::parse("127.0.0.0/8").unwrap();
        assert!(trusted.contains(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn rejects_garbage_networks() {
        assert!(TrustedProxies::parse("10.0.0.0/8, nope").is_err());
    }
}
