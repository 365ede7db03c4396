//! The accept loop, hardened against slow and greedy clients:
//! - a bound on open connections per client address (IPv6 by /64) and in all; a
//!   connection over either bound gets a `503 too_many_connections` and is closed;
//! - a deadline for each request head (hyper's header read timeout), so a client that
//!   sends its head a byte at a time is cut off;
//! - inactivity timeouts on every read and write, so an idle connection, a stalled body
//!   and a client that never reads its response give their resources back.
//!
//! The request's own time limit (30 s, `408`) is the router's. `ConnectInfo` carries the
//! client address to the rate limit, as `axum::serve` would.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// Limits on connections.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Open connections per client address (an IPv6 client by its /64).
    pub per_address: usize,
    /// Open connections in all.
    pub total: usize,
    /// Time a client has to send a request's head (request line and headers).
    pub header_timeout: Duration,
    /// Time a read (the next request on a kept-alive connection, a body) may wait for a
    /// byte, and a write for the client to take one: past it the connection is closed.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            per_address: DEFAULT_CONNECTIONS_PER_ADDRESS,
            total: DEFAULT_CONNECTIONS,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Default bound on open connections per client address: far above a browser's six, so
/// that an office behind one address (NAT) is not refused.
pub const DEFAULT_CONNECTIONS_PER_ADDRESS: usize = 256;
/// Default bound on open connections in all.
pub const DEFAULT_CONNECTIONS: usize = 4096;

/// Open connections, per address and in all.
#[derive(Default)]
struct Tracker {
    per_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// One admitted connection; gives its place back when dropped.
struct Admitted {
    tracker: Arc<Mutex<Tracker>>,
    address: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut tracker = self.tracker.lock().unwrap_or_else(PoisonError::into_inner);
        tracker.total = tracker.total.saturating_sub(1);
        if let Some(count) = tracker.per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                tracker.per_address.remove(&self.address);
            }
        }
        metrics::gauge!("cartouche_connections_open").set(tracker.total as f64);
    }
}

fn admit(tracker: &Arc<Mutex<Tracker>>, address: IpAddr, limits: &ConnectionLimits) -> Result<Admitted, &'static str> {
    let mut state = tracker.lock().unwrap_or_else(PoisonError::into_inner);
    if state.total >= limits.total {
        return Err("total");
    }
    let count = state.per_address.entry(address).or_insert(0);
    if *count >= limits.per_address {
        return Err("per_address");
    }
    *count += 1;
    state.total += 1;
    metrics::gauge!("cartouche_connections_open").set(state.total as f64);
    Ok(Admitted { tracker: Arc::clone(tracker), address })
}

/// Answers a connection over a limit with a 503 and closes it, without reading it.
async fn refuse(mut stream: TcpStream, which: &'static str) {
    let message = if which == "total" {
        "the server has as many connections open as it allows; retry in a moment"
    } else {
        "too many connections are open from your address; close some (or reuse them) and retry"
    };
    let body = format!(r#"{{"error":{{"code":"too_many_connections","message":"{message}"}}}}"#);
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Whether an accept error concerns only the connection being accepted.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Serves `router` on `listener` until `shutdown`, then lets the open connections finish
/// their requests (at most 30 s).
pub async fn serve_with_limits(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let (close_tx, close_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::error!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let address = crate::rate_limit_key(remote.ip());
        let admitted = match admit(&tracker, address, &limits) {
            Ok(admitted) => admitted,
            Err(which) => {
                metrics::counter!("cartouche_connections_refused_total", "limit" => which).increment(1);
                tracing::warn!(client = %address, limit = which, "connection refused: too many open");
                tokio::spawn(refuse(stream, which));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let mut timed = tokio_io_timeout::TimeoutStream::new(stream);
        timed.set_read_timeout(Some(limits.idle_timeout));
        timed.set_write_timeout(Some(limits.idle_timeout));
        let io = TokioIo::new(Box::pin(timed));
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(remote));
            router.clone().oneshot(request.map(Body::new))
        });
        let header_timeout = limits.header_timeout;
        let mut closing = close_rx.clone();
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let connection = builder.serve_connection_with_upgrades(io, service);
            let mut connection = std::pin::pin!(connection);
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(error = %error, "connection ended with an error");
                        }
                        break;
                    }
                    changed = closing.changed() => {
                        connection.as_mut().graceful_shutdown();
                        if changed.is_err() {
                            // The sender is gone: nothing more to wait for but the connection.
                            let _ = connection.as_mut().await;
                            break;
                        }
                    }
                }
            }
            drop(closing);
            drop(admitted);
        });
    }
    drop(close_rx);
    let _ = close_tx.send(true);
    if tokio::time::timeout(Duration::from_secs(30), close_tx.closed()).await.is_err() {
        tracing::warn!("connections still open 30 s after the shutdown signal; closing them");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_address_and_in_all() {
        let tracker = Arc::new(Mutex::new(Tracker::default()));
        let limits = ConnectionLimits { per_address: 2, total: 3, ..ConnectionLimits::default() };
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = admit(&tracker, a, &limits).unwrap();
        let _second = admit(&tracker, a, &limits).unwrap();
        assert_eq!(admit(&tracker, a, &limits).err(), Some("per_address"));
        let _third = admit(&tracker, b, &limits).unwrap();
        assert_eq!(admit(&tracker, b, &limits).err(), Some("total"));
        drop(first);
        assert!(admit(&tracker, a, &limits).is_ok(), "a closed connection gives its place back");
        let state = tracker.lock().unwrap();
        assert!(state.total <= 3);
    }
}
