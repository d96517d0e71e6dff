//! The HTTP server's connection handling: hyper's HTTP/1 connections under limits, and a
//! shutdown that finishes within a bound whatever the clients do.
//!
//! - **Connection cap and per-IP cap**: a connection over either is answered at once with a JSON
//!   `503 too_many_connections` and closed, before any of its bytes are read.
//! - **Header and idle timeout**: hyper's `header_read_timeout` runs from the moment a connection
//!   waits for a request head (a new connection, or a keep-alive one after its last response), so
//!   a client that trickles its headers or sits idle is closed after `idle_timeout_ms`.
//! - **Body timeout**: [`crate::http`] reads request bodies under `body_timeout_ms`
//!   (`408 request_timeout`).
//! - **Errors from the HTTP layer are JSON**: hyper answers a request it cannot parse (`400`,
//!   `414`, `431`) itself, with an empty body; [`JsonErrors`] rewrites those automatic responses
//!   into `{code, message}` bodies on their way out.
//! - **Shutdown**: on the signal the listener closes, idle connections close at once, busy ones
//!   after their response (event streams end themselves when the node stops), and whatever is
//!   left after `shutdown_grace_ms` is dropped.

use crate::config::HttpLimits;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Open connections, in total and per client IP.
#[derive(Debug, Default)]
struct Connections {
    per_ip: Mutex<BTreeMap<IpAddr, usize>>,
}

/// One admitted connection; counted until dropped.
#[derive(Debug)]
struct Admitted {
    connections: Arc<Connections>,
    ip: IpAddr,
}

impl Connections {
    /// Admits a connection from `ip` if neither cap is reached.
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &HttpLimits) -> Option<Admitted> {
        let mut per_ip = self
            .per_ip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner); // a map of counters: no half state
        let total: usize = per_ip.values().sum();
        let mine = per_ip.get(&ip).copied().unwrap_or(0);
        if total >= limits.max_connections || mine >= limits.max_connections_per_ip {
            return None;
        }
        per_ip.insert(ip, mine + 1);
        Some(Admitted {
            connections: self.clone(),
            ip,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut per_ip = self
            .connections
            .per_ip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `stop` turns true, then drains within the grace period.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    mut stop: watch::Receiver<bool>,
) {
    let connections = Arc::new(Connections::default());
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut stop) => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors or similar: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                match connections.admit(peer.ip(), &limits) {
                    Some(admitted) => {
                        tasks.spawn(connection(stream, peer, app.clone(), limits, stop.clone(), admitted));
                    }
                    None => {
                        tasks.spawn(refuse(stream));
                    }
                }
            }
        }
    }
    drop(listener);
    let grace = tokio::time::sleep(Duration::from_millis(limits.shutdown_grace_ms));
    tokio::pin!(grace);
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { break },
            _ = &mut grace => {
                tracing::info!(connections = tasks.len(), "closing the connections still open");
                tasks.abort_all();
                break;
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: HttpLimits,
    mut stop: watch::Receiver<bool>,
    admitted: Admitted,
) {
    let _admitted = admitted;
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        async move { tower_service::Service::call(&mut app, request).await }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.idle_timeout_ms.max(1)))
        .max_headers(limits.max_headers)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(JsonErrors::new(stream)), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        }
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Answers a connection over a cap with a JSON 503 and closes it.
async fn refuse(mut stream: TcpStream) {
    let body =
        r#"{"code":"too_many_connections","message":"too many open connections; retry later"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// The JSON body hyper's automatic response for `status` gets.
fn automatic_error(status: &[u8]) -> Option<(&'static str, &'static str)> {
    match status {
        b"400" => Some((
            "malformed_request",
            "the request is not valid HTTP/1.1 (request line, header or method)",
        )),
        b"414" => Some(("uri_too_long", "the request's URI is too long")),
        b"431" => Some((
            "headers_too_large",
            "the request's headers are too many or too large",
        )),
        _ => None,
    }
}

/// If `head` is one of hyper's automatic error responses (status 400, 414 or 431 with an empty
/// body), the same response with a JSON `{code, message}` body.
fn rewrite_automatic(head: &[u8]) -> Option<Vec<u8>> {
    let rest = head.strip_prefix(b"HTTP/1.1 ")?;
    let (code, message) = automatic_error(rest.get(..3)?)?;
    let text = std::str::from_utf8(head).ok()?;
    if !text.ends_with("\r\n\r\n") || !text.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let body = format!(r#"{{"code":"{code}","message":"{message}"}}"#);
    let head = text.replacen(
        "\r\ncontent-length: 0\r\n",
        &format!(
            "\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ),
        1,
    );
    Some([head.into_bytes(), body.into_bytes()].concat())
}

/// A stream whose outgoing automatic error responses get JSON bodies (see the module docs).
/// Only a write that starts a response with one of those statuses is looked at; everything else
/// passes through unchanged.
#[derive(Debug)]
struct JsonErrors<S> {
    inner: S,
    pending: Vec<u8>,
    offset: usize,
}

impl<S> JsonErrors<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            offset: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> JsonErrors<S> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.offset < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.offset..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.offset += n;
        }
        self.pending.clear();
        self.offset = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrors<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrors<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_drain(cx))?;
        if buf.starts_with(b"HTTP/1.1 4")
            && let Some(rewritten) = rewrite_automatic(buf)
        {
            self.pending = rewritten;
            self.offset = 0;
            // The bytes are ours now; what is not written yet goes out on the next write, flush
            // or shutdown.
            let _ = self.poll_drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_automatic_431_gets_a_json_body_and_other_responses_pass_unchanged() {
        let head =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite_automatic(head).expect("rewritten")).expect("utf8");
        let (head, body) = out.split_once("\r\n\r\n").expect("head and body");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["code"], "headers_too_large");
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n";
        assert!(rewrite_automatic(ours).is_none());
        assert!(
            rewrite_automatic(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none()
        );
    }
}
