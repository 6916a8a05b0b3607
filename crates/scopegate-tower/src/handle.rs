//! A swappable engine: policy reload without restart, and the shadow engine's counters.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use scopegate::{Diagnostic, Engine, LoadError};

/// The engine the layer reads on every request. Cloning shares the same slot.
///
/// A reload that fails to load or compile keeps the engine in place and returns the error.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    slot: Arc<ArcSwap<Engine>>,
}

impl EngineHandle {
    /// A handle holding `engine`.
    pub fn new(engine: Arc<Engine>) -> EngineHandle {
        EngineHandle {
            slot: Arc::new(ArcSwap::new(engine)),
        }
    }

    /// The engine now.
    pub fn current(&self) -> Arc<Engine> {
        self.slot.load_full()
    }

    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Engine>> {
        self.slot.load()
    }

    /// Replaces the engine.
    pub fn replace(&self, engine: Arc<Engine>) {
        self.slot.store(engine);
    }

    /// Loads and compiles a policy file; on success swaps it in and returns its warnings, on
    /// failure keeps the current engine.
    pub fn reload_from_path(&self, path: impl AsRef<Path>) -> Result<Vec<Diagnostic>, LoadError> {
        match Engine::from_path(path.as_ref()) {
            Ok(compiled) => {
                self.replace(Arc::new(compiled.engine));
                tracing::info!(policy = %path.as_ref().display(), warnings = compiled.warnings.len(), "scopegate policy reloaded");
                Ok(compiled.warnings)
            }
            Err(e) => {
                tracing::error!(policy = %path.as_ref().display(), error = %e, "scopegate policy reload failed; keeping the current policy");
                Err(e)
            }
        }
    }
}

/// Counters of a shadow (report-only) engine.
#[derive(Debug, Default)]
pub struct ShadowStats {
    evaluated: AtomicU64,
    disagreements: AtomicU64,
}

impl ShadowStats {
    /// Requests the shadow engine decided.
    pub fn evaluated(&self) -> u64 {
        self.evaluated.load(Ordering::Relaxed)
    }

    /// Requests where it disagreed with the enforcing engine (status or reason code).
    pub fn disagreements(&self) -> u64 {
        self.disagreements.load(Ordering::Relaxed)
    }

    pub(crate) fn record(&self, agreed: bool) {
        self.evaluated.fetch_add(1, Ordering::Relaxed);
        if !agreed {
            self.disagreements.fetch_add(1, Ordering::Relaxed);
        }
    }
}
