//! The HTTP listener: binds, sets `TCP_NODELAY`, bounds how long a connection may take to send
//! its headers or body or sit idle, hands each request its TCP peer, shuts down gracefully.

use std::{future::Future, io, net::SocketAddr, time::Duration};

use axum::{Router, extract::ConnectInfo};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    net::TcpListener,
    sync::{mpsc, watch},
};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use super::limits::Limits;

/// Why the server could not listen or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// The address is in use, not local, or not permitted.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// Accepting or serving connections failed.
    #[error("the server failed while serving")]
    Serve(#[source] io::Error),
}

/// A bound listener, so the caller can learn the real address (port 0) before serving.
pub struct BoundListener {
    listener: TcpListener,
    addr: SocketAddr,
    limits: Limits,
}

impl BoundListener {
    /// Binds `addr`.
    pub async fn bind(addr: SocketAddr) -> Result<Self, ListenError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ListenError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ListenError::Bind { addr, source })?;
        Ok(Self {
            listener,
            addr,
            limits: Limits::default(),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves with these limits (by default [`Limits::default`]): here, its
    /// [`header_read_timeout`](Limits::header_read_timeout).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves `router` until `shutdown` resolves, then lets in-flight requests finish. Every
    /// request carries its TCP peer as [`ConnectInfo<SocketAddr>`](ConnectInfo), which mizan's
    /// per-address limits count by.
    ///
    /// HTTP/1.1 only (with upgrades, for the socket): browsers speak HTTP/2 only over TLS, which
    /// a proxy in front terminates; serving only HTTP/1 leaves no protocol-detection read that a
    /// silent connection could hang on before the header timeout starts.
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ListenError> {
        let timeout = self.limits.header_read_timeout;
        let mut builder = http1::Builder::new();
        // A connection that sends its headers slowly, sends nothing, or stays open without a
        // next request holds a task and a buffer: the timeout ends it (hyper starts it at the
        // connection's first read and again while a keep-alive connection waits).
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(timeout);
        // Each open connection holds a sender; the shutdown waits until all are dropped.
        let (open, mut all_closed) = mpsc::channel::<()>(1);
        let (stopping, stop) = watch::channel(());
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        if !is_connection_error(&error) {
                            // Out of file descriptors and its kind: accepting again at once
                            // would spin.
                            tracing::error!(%error, "cannot accept a connection");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Without TCP_NODELAY a streamed SSR response waits on delayed ACKs (~40 ms a page).
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::warn!(%error, "cannot set TCP_NODELAY on an accepted socket");
            }
            let service =
                router
                    .clone()
                    .map_request(move |request: http::Request<hyper::body::Incoming>| {
                        // A body that stops arriving ends like headers that do.
                        let mut request = request.map(|body| TimeoutBody::new(timeout, body));
                        request.extensions_mut().insert(ConnectInfo(peer));
                        request
                    });
            let connection = builder
                .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service))
                .with_upgrades();
            let (open, mut stop) = (open.clone(), stop.clone());
            tokio::spawn(async move {
                tokio::pin!(connection);
                let ended = tokio::select! {
                    ended = connection.as_mut() => ended,
                    _ = stop.changed() => {
                        connection.as_mut().graceful_shutdown();
                        connection.await
                    }
                };
                if let Err(error) = ended {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
                drop(open);
            });
        }
        drop(self.listener);
        let _ = stopping.send(());
        drop(open);
        let _ = all_closed.recv().await;
        Ok(())
    }
}

/// Whether an accept error concerns only the connection being accepted (the next one may work).
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Binds `addr` and serves `router` until Ctrl-C or SIGTERM.
pub async fn serve(addr: SocketAddr, router: Router) -> Result<(), ListenError> {
    let bound = BoundListener::bind(addr).await?;
    tracing::info!(addr = %bound.local_addr(), "listening on http://{}", bound.local_addr());
    bound.serve(router, shutdown_signal()).await
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
