//! Signals: SIGHUP recompiles the policy (the old engine stays when the new one fails),
//! SIGTERM and SIGINT stop the servers gracefully.

use std::path::PathBuf;
use std::sync::Arc;

use scopegate::Engine;
use scopegate_tower::EngineHandle;
use tokio::signal::unix::{Signal, SignalKind, signal};
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

/// The process's signal handlers, installed before anything listens: from then on SIGHUP and
/// SIGTERM are handled, never the default action (terminate).
pub(crate) struct Signals {
    hangup: Signal,
    term: Signal,
    int: Signal,
}

impl Signals {
    pub(crate) fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            hangup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The SIGHUP half and the SIGTERM/SIGINT half.
    pub(crate) fn split(self) -> (Signal, (Signal, Signal)) {
        (self.hangup, (self.term, self.int))
    }
}

/// Reloads on every SIGHUP until shutdown.
pub(crate) async fn on_sighup(
    mut hangup: Signal,
    engine: EngineHandle,
    path: PathBuf,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            got = hangup.recv() => {
                if got.is_none() {
                    return;
                }
                reload(&engine, &path).await;
            }
            _ = stop.changed() => return,
        }
    }
}

/// Resolves on SIGTERM or SIGINT and tells every server to stop.
pub(crate) async fn on_terminate((mut term, mut int): (Signal, Signal), stop: watch::Sender<bool>) {
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
    // Receivers may all be gone already; nothing to tell then.
    let _ = stop.send(true);
}
