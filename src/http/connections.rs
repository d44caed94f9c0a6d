//! The listener: accepts connections within bounds and serves HTTP/1.1 on each. A client
//! address may hold at most `max-connections-per-client` connections and the server at most
//! [`MAX_CONNECTIONS`]; request headers (also the idle time between keep-alive requests) must
//! arrive within `header-read-timeout`, in at most [`MAX_HEADER_BYTES`] and [`MAX_HEADERS`]
//! headers. What is refused is counted in `/metrics`. IPv6 clients are counted per /64 (one
//! host usually holds the whole prefix).
//!
//! Each request carries its [`ClientAddr`]: the peer, or — when the peer is one of the
//! configured `trusted-proxies` — the address those proxies name last in `X-Forwarded-For`
//! (or in RFC 7239 `Forwarded`, with `proxy-headers = forwarded`). Rate limits and log-in
//! throttling go by it; the connection limits go by the peer.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::problem::Problem;
use crate::config::{AddressRange, ProxyHeaders};
use crate::services::load::{Load, Refusal};
use axum::response::IntoResponse;

/// Connections the whole server holds open at once.
pub const MAX_CONNECTIONS: usize = 10_000;
/// The request line and headers together.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
pub const MAX_HEADERS: usize = 100;
/// The answer on a connection over the limits.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n\
    Content-Type: text/plain; charset=utf-8\r\nContent-Length: 40\r\n\r\ntoo many connections; try again shortly\n";
/// The longest a request may take, from its headers to its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Refused connections being answered at once; beyond this they are closed unanswered.
const MAX_REFUSALS_IN_FLIGHT: usize = 256;

/// Open connections per client address.
pub struct ConnectionLimits {
    per_client: usize,
    total: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; gives its place back when dropped.
pub struct Admitted {
    limits: Arc<ConnectionLimits>,
    ip: IpAddr,
}

impl ConnectionLimits {
    pub fn new(per_client: usize, total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_client,
            total,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// A place for a connection from `ip`, or the reason there is none.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admitted, Refusal> {
        let ip = per_host(ip);
        let mut open = self.open.lock().map_err(|_| Refusal::Connections)?;
        if open.0 >= self.total {
            return Err(Refusal::Connections);
        }
        let n = open.1.entry(ip).or_insert(0);
        if *n >= self.per_client {
            return Err(Refusal::ConnectionsPerClient);
        }
        *n += 1;
        open.0 += 1;
        Ok(Admitted {
            limits: self.clone(),
            ip,
        })
    }
}

/// The address a client is counted by: IPv4 as it is, IPv6 by its /64.
fn per_host(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The address of the client a request is from (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The peer, or what trusted proxies say in `which` header (read from the right: the
    /// first address that is not a trusted proxy). An entry that is not an address (RFC 7239's
    /// `unknown` or `_hidden`) ends the search: what lies left of it cannot be believed.
    pub fn resolve(
        peer: IpAddr,
        headers: &axum::http::HeaderMap,
        trusted: &[AddressRange],
        which: ProxyHeaders,
    ) -> Self {
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|r| r.contains(*ip));
        if !is_trusted(&peer) {
            return ClientAddr(peer);
        }
        let name = match which {
            ProxyHeaders::XForwarded => "x-forwarded-for",
            ProxyHeaders::Forwarded => "forwarded",
        };
        let hops: Vec<Option<IpAddr>> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|hop| match which {
                ProxyHeaders::XForwarded => node_address(hop.trim()),
                ProxyHeaders::Forwarded => forwarded_for(hop),
            })
            .collect();
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if is_trusted(ip) => continue,
                Some(ip) => return ClientAddr(*ip),
                None => break,
            }
        }
        ClientAddr(peer)
    }
}

/// The address in the `for=` of one `Forwarded` element (RFC 7239 §4, §6): `192.0.2.43`,
/// `"192.0.2.43:4711"`, `"[2001:db8::17]"` or `"[2001:db8::17]:4711"`; `None` for an
/// obfuscated or unknown node, or an element without `for`.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let value = element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })?;
    node_address(value)
}

/// `192.0.2.43`, `192.0.2.43:4711`, `2001:db8::17`, `[2001:db8::17]` or `[2001:db8::17]:4711`.
fn node_address(value: &str) -> Option<IpAddr> {
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let host = match value.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && host.contains('.') => {
            host
        }
        _ => value,
    };
    host.parse().ok()
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<ClientAddr>()
            .copied()
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| ClientAddr(c.0.ip()))
            })
            .unwrap_or(ClientAddr(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))))
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Ok(mut open) = self.limits.open.lock() {
            open.0 = open.0.saturating_sub(1);
            if let Some(n) = open.1.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    open.1.remove(&self.ip);
                }
            }
        }
    }
}

/// The listener's settings (from the configuration).
pub struct Settings {
    pub per_client: usize,
    pub header_read_timeout: Duration,
    pub trusted_proxies: Vec<AddressRange>,
    pub proxy_headers: ProxyHeaders,
    pub grace: Duration,
}

impl Settings {
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            per_client: config.max_connections_per_client,
            header_read_timeout: config.header_read_timeout,
            trusted_proxies: config.trusted_proxies.clone(),
            proxy_headers: config.proxy_headers,
            grace: config.shutdown_grace,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish for at most `grace` (a client that stalls mid-request does not keep the
/// process alive).
pub async fn serve(
    router: Router,
    listener: TcpListener,
    load: Arc<Load>,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Settings {
        per_client,
        header_read_timeout,
        trusted_proxies,
        proxy_headers,
        grace,
    } = settings;
    let trusted_proxies = Arc::new(trusted_proxies);
    let limits = ConnectionLimits::new(per_client, MAX_CONNECTIONS);
    let refusing = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let admitted = match limits.admit(peer.ip()) {
            Ok(a) => a,
            Err(why) => {
                load.refuse(why);
                tracing::debug!(peer = %peer.ip(), reason = why.as_str(), "connection refused");
                // Say so in HTTP, briefly, unless too many are being told already.
                use std::sync::atomic::Ordering;
                if refusing.fetch_add(1, Ordering::SeqCst) >= MAX_REFUSALS_IN_FLIGHT {
                    refusing.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let refusing = refusing.clone();
                tokio::spawn(async move {
                    let mut stream = stream;
                    // Answer, close our side, then read what the client sent until it closes
                    // (at most a second), so that the close is not a reset that loses the answer.
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        stream.write_all(REFUSED).await?;
                        stream.shutdown().await?;
                        let mut sink = [0u8; 1024];
                        while stream.read(&mut sink).await? > 0 {}
                        Ok::<(), std::io::Error>(())
                    })
                    .await;
                    refusing.fetch_sub(1, Ordering::SeqCst);
                });
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let trusted = trusted_proxies.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let client = ClientAddr::resolve(peer.ip(), req.headers(), &trusted, proxy_headers);
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req.extensions_mut().insert(client);
            let answer = router.clone().oneshot(req);
            async move {
                // A whole request, body included, within REQUEST_TIMEOUT (a client that sends
                // its body a byte at a time does not keep a connection for ever).
                match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
                    Ok(response) => response,
                    Err(_) => Ok(Problem::new(
                        axum::http::StatusCode::REQUEST_TIMEOUT,
                        "Request Timeout",
                    )
                    .with_detail("the request took too long to arrive or to answer")
                    .into_response()),
                }
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _admitted = admitted;
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!("requests still in flight after {grace:?}; stopping anyway");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_and_the_server_have_a_bound() {
        let limits = ConnectionLimits::new(2, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = limits.admit(a).unwrap();
        let _a2 = limits.admit(a).unwrap();
        assert_eq!(limits.admit(a).err(), Some(Refusal::ConnectionsPerClient));
        let _b1 = limits.admit(b).unwrap();
        assert_eq!(limits.admit(b).err(), Some(Refusal::Connections));
        drop(a1);
        assert!(
            limits.admit(a).is_ok(),
            "a closed connection gives its place back"
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let limits = ConnectionLimits::new(1, 10);
        let _one = limits.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert_eq!(
            limits.admit("2001:db8:1:2:ffff::9".parse().unwrap()).err(),
            Some(Refusal::ConnectionsPerClient)
        );
        assert!(limits.admit("2001:db8:1:3::1".parse().unwrap()).is_ok());
        // An IPv4-mapped address is its IPv4 address.
        let _v4 = limits.admit("192.0.2.1".parse().unwrap()).unwrap();
        assert_eq!(
            limits.admit("::ffff:192.0.2.1".parse().unwrap()).err(),
            Some(Refusal::ConnectionsPerClient)
        );
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted: [AddressRange; 1] = ["10.0.0.0/24".parse().unwrap()];
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.7:51234, 10.0.0.2".parse().unwrap(),
        );
        // Not a trusted peer: the header is ignored.
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(
            ClientAddr::resolve(stranger, &headers, &trusted, ProxyHeaders::XForwarded).0,
            stranger
        );
        // Through trusted proxies: the rightmost address that is not one of them, not what
        // the client claimed further left.
        assert_eq!(
            ClientAddr::resolve(proxy, &headers, &trusted, ProxyHeaders::XForwarded).0,
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            ClientAddr::resolve(
                proxy,
                &axum::http::HeaderMap::new(),
                &trusted,
                ProxyHeaders::XForwarded
            )
            .0,
            proxy
        );
        // Set up for X-Forwarded-For, a Forwarded header (which the proxy passes on from the
        // client) is not believed.
        let mut spoofed = axum::http::HeaderMap::new();
        spoofed.insert("forwarded", "for=203.0.113.99".parse().unwrap());
        assert_eq!(
            ClientAddr::resolve(proxy, &spoofed, &trusted, ProxyHeaders::XForwarded).0,
            proxy
        );
    }

    #[test]
    fn rfc_7239_forwarded_is_read_when_configured() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted: [AddressRange; 1] = ["10.0.0.0/24".parse().unwrap()];
        let resolve = |value: &str| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert("forwarded", value.parse().unwrap());
            // An X-Forwarded-For the client sent along is ignored in this mode.
            headers.insert("x-forwarded-for", "6.6.6.6".parse().unwrap());
            ClientAddr::resolve(proxy, &headers, &trusted, ProxyHeaders::Forwarded).0
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(resolve("for=192.0.2.43"), ip("192.0.2.43"));
        assert_eq!(
            resolve("for=6.6.6.6, for=\"192.0.2.43:4711\";proto=https, for=10.0.0.2"),
            ip("192.0.2.43")
        );
        assert_eq!(
            resolve("For=\"[2001:db8:cafe::17]:4711\";by=10.0.0.1"),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            resolve("proto=https;for=\"[2001:db8::1]\""),
            ip("2001:db8::1")
        );
        // Unknown or hidden nodes: nothing left of them is believed.
        assert_eq!(resolve("for=6.6.6.6, for=unknown"), proxy);
        assert_eq!(resolve("for=6.6.6.6, for=_hidden, for=10.0.0.2"), proxy);
        assert_eq!(resolve("by=10.0.0.1"), proxy);
    }
}
