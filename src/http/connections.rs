//! The listener: accepts connections within bounds and serves HTTP/1.1 on each. A client
//! address may hold at most `max-connections-per-client` connections and the server at most
//! [`MAX_CONNECTIONS`]; request headers (also the idle time between keep-alive requests) must
//! arrive within `header-read-timeout`, in at most [`MAX_HEADER_BYTES`] and [`MAX_HEADERS`]
//! headers. What is refused is counted in `/metrics`.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::services::load::{Load, Refusal};

/// Connections the whole server holds open at once.
pub const MAX_CONNECTIONS: usize = 10_000;
/// The request line and headers together.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
pub const MAX_HEADERS: usize = 100;
/// The answer on a connection over the limits.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n\
    Content-Type: text/plain; charset=utf-8\r\nContent-Length: 40\r\n\r\ntoo many connections; try again shortly\n";
/// How long requests in flight may take to finish after shutdown was asked for.
const DRAIN: Duration = Duration::from_secs(30);

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

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish (at most 30 s).
pub async fn serve(
    router: Router,
    listener: TcpListener,
    load: Arc<Load>,
    per_client: usize,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = ConnectionLimits::new(per_client, MAX_CONNECTIONS);
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
                // Say so in HTTP, briefly; a client that does not read gets nothing.
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
                });
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(req)
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
        () = tokio::time::sleep(DRAIN) => {
            tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
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
}
