//! `scopegate serve`: the scopegate policy as a sidecar that gateways ask before they forward a
//! request.
//!
//! - **Forward-auth** `/auth` (any method): the original request from `X-Original-Method` +
//!   `X-Original-URI` (nginx `auth_request`, ingress-nginx) or `X-Forwarded-Method` +
//!   `X-Forwarded-Uri` (Traefik, Caddy); 200 with identity headers, or 401/403 with the RFC 6750
//!   `WWW-Authenticate` challenge the tower layer writes.
//! - **Envoy ext_authz**, HTTP service mode (`{envoy_path_prefix}/<original path>`) and gRPC
//!   (`envoy.service.auth.v3.Authorization/Check`).
//! - **Operations**: `/healthz`, `/readyz`, `/metrics` (Prometheus), SIGHUP reload, graceful
//!   shutdown on SIGTERM.
//!
//! It holds no policy logic: every answer is a [`scopegate::Engine`] decision. Settings come
//! from the policy's `[server]` table ([`scopegate::policy::ServerSource`]).

mod check;
mod config;
mod forward;
mod grpc;
mod ops;
mod reload;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{any, get};
use envoy_types::ext_authz::v3::pb::AuthorizationServer;
use metrics_exporter_prometheus::PrometheusHandle;
use scopegate::{Engine, LoadError, LoadedPolicy};
use scopegate_tower::EngineHandle;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{ConfigError, Overrides, ServerConfig};
pub use grpc::GrpcCheck;
pub use ops::{HTTP_REQUESTS, install_prometheus};
pub use reload::reload;

/// What the endpoints share.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) engine: EngineHandle,
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) metrics: Option<PrometheusHandle>,
}

/// Why `serve` stopped or could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The policy file cannot be read or does not compile.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The `[server]` table or a flag is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Binding, serving or installing a signal handler failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// The sidecar's endpoints over one engine handle.
#[derive(Debug, Clone)]
pub struct Sidecar {
    app: App,
}

impl Sidecar {
    /// Endpoints over `engine` with `config`; `metrics` renders `/metrics` (404 without it).
    pub fn new(engine: EngineHandle, config: ServerConfig, metrics: Option<PrometheusHandle>) -> Sidecar {
        Sidecar {
            app: App {
                engine,
                config: Arc::new(config),
                metrics,
            },
        }
    }

    /// The engine handle (reloads swap what it holds).
    pub fn engine(&self) -> &EngineHandle {
        &self.app.engine
    }

    /// The HTTP routes: `/auth`, the Envoy prefix, `/healthz`, `/readyz`, `/metrics`.
    pub fn router(&self) -> Router {
        let prefix = &self.app.config.envoy_prefix;
        Router::new()
            .route("/auth", any(forward::forward_auth))
            .route(&format!("{prefix}/"), any(forward::envoy_http))
            .route(&format!("{prefix}/{{*rest}}"), any(forward::envoy_http))
            .route("/healthz", get(ops::healthz))
            .route("/readyz", get(ops::readyz))
            .route("/metrics", get(ops::metrics))
            .with_state(self.app.clone())
    }

    /// The gRPC `Authorization` service.
    pub fn grpc(&self) -> AuthorizationServer<GrpcCheck> {
        AuthorizationServer::new(GrpcCheck { app: self.app.clone() })
    }
}

/// `scopegate serve` options.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// The policy file.
    pub policy: PathBuf,
    /// Flags that override `[server]`.
    pub overrides: Overrides,
}

impl ServeOptions {
    /// Options for a policy file and overrides.
    pub fn new(policy: PathBuf, overrides: Overrides) -> ServeOptions {
        ServeOptions { policy, overrides }
    }
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> ServeError {
    move |source| ServeError::Io { what, source }
}

/// Runs the sidecar until SIGTERM or SIGINT: loads the policy, installs the Prometheus
/// recorder, binds, fetches every network issuer's keys, and reloads on SIGHUP.
pub async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let loaded = LoadedPolicy::from_path(&options.policy).map_err(LoadError::from)?;
    let config = ServerConfig::new(&loaded.source.server, &options.overrides)?;
    let compiled = Engine::compile(&loaded).map_err(LoadError::from)?;
    for w in &compiled.warnings {
        tracing::warn!(warning = %w, "policy warning");
    }
    let engine = EngineHandle::new(Arc::new(compiled.engine));
    let sidecar = Sidecar::new(engine.clone(), config.clone(), install_prometheus());

    // Signal handlers before the listeners: a SIGHUP or SIGTERM from the moment the port answers
    // is handled, never fatal.
    let (hangup, terminate) = reload::Signals::install()
        .map_err(io("installing signal handlers"))?
        .split();
    let (stop_tx, stop_rx) = watch::channel(false);
    let http = TcpListener::bind(config.listen())
        .await
        .map_err(io("binding the HTTP listener"))?;
    tracing::info!(listen = %config.listen(), "forward-auth listening");
    let grpc = match config.grpc_listen() {
        Some(addr) => {
            let listener = TcpListener::bind(addr).await.map_err(io("binding the gRPC listener"))?;
            tracing::info!(listen = %addr, "ext_authz gRPC listening");
            Some(listener)
        }
        None => None,
    };
    let terminate = tokio::spawn(reload::on_terminate(terminate, stop_tx));
    let hangup = tokio::spawn(reload::on_sighup(
        hangup,
        engine.clone(),
        options.policy.clone(),
        stop_rx.clone(),
    ));
    let warm = engine.current();
    tokio::spawn(async move {
        warm.warm_up().await;
    });

    let stopped = |mut rx: watch::Receiver<bool>| async move {
        // An error means the sender is gone: stop too.
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let http_server = axum::serve(http, sidecar.router()).with_graceful_shutdown(stopped(stop_rx.clone()));
    let result = match grpc {
        Some(listener) => {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let grpc_server = tonic::transport::Server::builder()
                .add_service(sidecar.grpc())
                .serve_with_incoming_shutdown(incoming, stopped(stop_rx.clone()));
            let (h, g) = tokio::join!(http_server, grpc_server);
            h.map_err(io("serving HTTP"))?;
            g.map_err(ServeError::from)
        }
        None => http_server.await.map_err(io("serving HTTP")),
    };
    hangup.abort();
    terminate.abort();
    tracing::info!("stopped");
    result
}

/// JSON logs on stderr (`RUST_LOG` filters; default `info`). Never carries token material:
/// events record route keys, issuer ids and reason codes only.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
