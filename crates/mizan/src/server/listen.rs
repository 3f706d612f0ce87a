//! The HTTP listener: binds, sets `TCP_NODELAY`, serves an axum router, shuts down gracefully.

use std::{future::Future, io, net::SocketAddr};

use axum::{Router, serve::ListenerExt};
use tokio::net::TcpListener;

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
        Ok(Self { listener, addr })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `router` until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ListenError> {
        // Without TCP_NODELAY a streamed SSR response waits on delayed ACKs (~40 ms a page).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::warn!(%error, "cannot set TCP_NODELAY on an accepted socket");
            }
        });
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ListenError::Serve)
    }
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
