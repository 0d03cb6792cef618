//! The process signals that ask the server to stop.

use tracing::{error, info};

/// Resolves when the process is asked to stop: SIGTERM (what orchestrators
/// send, Unix only) or ctrl-c (SIGINT).
///
/// Pass it as the `shutdown` argument of [`serve`](crate::serve). If a
/// handler cannot be installed the error is logged and that signal is
/// ignored, so the function never resolves spuriously.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => info!("ctrl-c received, shutting down"),
        () = terminate => info!("SIGTERM received, shutting down"),
    }
}
