//! Signals: SIGHUP recompiles the policy (the old engine stays when the new one fails),
//! SIGTERM and SIGINT stop the servers gracefully.

use std::path::PathBuf;
use std::sync::Arc;

use scopegate::Engine;
use scopegate_tower::EngineHandle;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// Compiles the policy file, fetches the new engine's keys, then swaps it in: requests keep
/// the old engine until the new one is ready. On failure the old engine stays.
pub async fn reload(engine: &EngineHandle, path: &std::path::Path) -> bool {
    match Engine::from_path(path) {
        Ok(compiled) => {
            let next = Arc::new(compiled.engine);
            next.warm_up().await;
            engine.replace(next);
            tracing::info!(policy = %path.display(), warnings = compiled.warnings.len(), "policy reloaded");
            metrics::counter!("scopegate_policy_reloads_total", "outcome" => "ok").increment(1);
            true
        }
        Err(e) => {
            tracing::error!(policy = %path.display(), error = %e, "policy reload failed; keeping the current policy");
            metrics::counter!("scopegate_policy_reloads_total", "outcome" => "error").increment(1);
            false
        }
    }
}

/// Reloads on every SIGHUP until shutdown.
pub(crate) async fn on_sighup(
    engine: EngineHandle,
    path: PathBuf,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut hangup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            got = hangup.recv() => {
                if got.is_none() {
                    return Ok(());
                }
                reload(&engine, &path).await;
            }
            _ = stop.changed() => return Ok(()),
        }
    }
}

/// Resolves on SIGTERM or SIGINT and tells every server to stop.
pub(crate) async fn on_terminate(stop: watch::Sender<bool>) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
    // Receivers may all be gone already; nothing to tell then.
    let _ = stop.send(true);
    Ok(())
}
