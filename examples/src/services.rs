//! The example services: axum routers behind a [`ScopeGateLayer`], one per IdP guide.
//! Handlers contain no authorization logic; the policy files in `examples/policies/` do.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use scopegate::{Engine, Grant, LoadError};
use scopegate_tower::{Authorized, ScopeGateLayer};
use serde_json::{Value, json};
use tower_http::cors::CorsLayer;

use crate::examples_dir;

/// Compiles `examples/policies/<name>.toml`.
pub fn policy_engine(name: &str) -> Result<Arc<Engine>, LoadError> {
    let compiled = Engine::from_path(examples_dir().join("policies").join(format!("{name}.toml")))?;
    Ok(Arc::new(compiled.engine))
}

/// The display name the guides greet with: `name`, else `preferred_username`, else `email`.
fn display_name(grant: &Grant) -> String {
    let identity = grant.identity.as_deref();
    ["name", "preferred_username", "email"]
        .iter()
        .find_map(|c| identity.and_then(|i| i.claims().get(*c)).and_then(Value::as_str))
        .or_else(|| grant.subject())
        .unwrap_or("anonymous")
        .to_string()
}

/// Asgardeo guide: `GET /user` answers `{"message":"Welcome <name>!"}` and counts the welcome
/// in `pharmacy_welcomes_total` (the service's own metric, beside scopegate's).
pub fn pharmacy(engine: Arc<Engine>) -> Router {
    async fn user(Authorized(grant): Authorized) -> Json<Value> {
        metrics::counter!("pharmacy_welcomes_total").increment(1);
        Json(json!({"message": format!("Welcome {}!", display_name(&grant))}))
    }
    Router::new()
        .route("/user", get(user))
        .layer(ScopeGateLayer::new(engine))
}

/// The origin of the pets browser client.
pub const PETS_SPA_ORIGIN: &str = "http://localhost:5173";

/// Auth0 guide: `GET /pets` public, `POST /pets` admins, `POST /pets/purchase` buyers; CORS for
/// the browser client (tower-http's `CorsLayer` outside the scopegate layer, so denials carry CORS
/// headers too).
pub fn pets(engine: Arc<Engine>) -> Router {
    type Pets = Arc<Mutex<Vec<String>>>;
    async fn list(State(pets): State<Pets>) -> Json<Value> {
        let names = pets.lock().map(|p| p.clone()).unwrap_or_default();
        Json(json!({"pets": names}))
    }
    async fn add(State(pets): State<Pets>, Authorized(grant): Authorized) -> impl IntoResponse {
        let count = pets
            .lock()
            .map(|mut p| {
                let name = format!("pet #{}", p.len() + 1);
                p.push(name);
                p.len()
            })
            .unwrap_or_default();
        (
            StatusCode::CREATED,
            Json(json!({"message": format!("Pet added by {}", display_name(&grant)), "pets": count})),
        )
    }
    async fn purchase(Authorized(grant): Authorized) -> Json<Value> {
        Json(json!({"message": format!("Purchase confirmed for {}", display_name(&grant))}))
    }
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(PETS_SPA_ORIGIN))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    let pets: Pets = Arc::new(Mutex::new(vec!["Rex".into(), "Tom".into()]));
    Router::new()
        .route("/pets", get(list).post(add))
        .route("/pets/purchase", post(purchase))
        .with_state(pets)
        .layer(ScopeGateLayer::new(engine))
        .layer(cors)
}

/// FusionAuth guide: `GET /claims` returns the verified claims.
pub fn claims(engine: Arc<Engine>) -> Router {
    async fn claims(Authorized(grant): Authorized) -> Json<Value> {
        let claims = grant
            .identity
            .as_deref()
            .map(|i| Value::Object(i.claims().clone()))
            .unwrap_or_default();
        Json(json!({"issuer": grant.issuer(), "claims": claims}))
    }
    Router::new()
        .route("/claims", get(claims))
        .layer(ScopeGateLayer::new(engine))
}

/// Installs the Prometheus recorder for the whole process: scopegate's metrics (decisions,
/// latency, identity cache, JWKS fetches) and the service's own go to it.
pub fn install_prometheus() -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()
}

/// Adds `GET /metrics` (Prometheus text format) to a router, after its `ScopeGateLayer`, so the
/// scraper needs no token. Expose it only where the scraper can reach it.
pub fn with_metrics(router: Router, handle: PrometheusHandle) -> Router {
    router.route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()) }
        }),
    )
}

/// Serves a router on `addr` until the process ends.
pub async fn serve(router: Router, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await
}

/// `127.0.0.1:$PORT`, or the given default port.
pub fn local_addr(default_port: u16) -> SocketAddr {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default_port);
    SocketAddr::from(([127, 0, 0, 1], port))
}
