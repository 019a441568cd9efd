//! The DNA Vault website: an index of the VaultRegistry's events ([`index`]) in a database ([`db`]), the
//! JSON API over it ([`api`]), and, later, the pages, the owners' dashboard and the approval relay.
//!
//! The website is a convenience, not a trust anchor: vaults and wallets check the chain themselves. What it
//! shows, it reads from the chain through one endpoint its operator chose, at a confirmation depth, and it
//! survives a reorganisation of that chain.

pub mod api;
mod app_error;
pub mod db;
mod error;
pub mod index;

use std::time::Duration;

use axum::{Router, extract::MatchedPath, http::Request};
use tower_http::{timeout::TimeoutLayer, trace::TraceLayer};

pub use app_error::AppError;
pub use db::Database;
pub use error::{Result, WebError};
pub use index::{IndexSettings, Indexer};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The index.
    pub db: Database,
}

impl AppState {
    /// Unix seconds now: what decides whether a grant or request has expired.
    pub fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

/// The website over `state`: every route, traced by its route, answered within `timeout`, and a JSON
/// refusal for a path it does not serve.
pub fn app(state: AppState, timeout: Duration) -> Router {
    let router = api::routes()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, route.handler)
        })
        .fallback(not_found);
    router
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("request", method = %request.method(), route)
            }),
        )
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError {
        status: axum::http::StatusCode::NOT_FOUND,
        error: "the website serves no such path; the API's routes are listed at /api/openapi.json"
            .into(),
        check: "not-found",
    }
}

/// What [`launch`] runs: the index's chain and database, and how the website answers.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The chain's JSON-RPC URL.
    pub rpc: url::Url,
    /// The registry's address.
    pub registry: alloy::primitives::Address,
    /// The database URL (`sqlite://...?mode=rwc` or `postgres://...`).
    pub database: String,
    /// How the index reads the chain.
    pub index: IndexSettings,
    /// How often the index looks for new blocks.
    pub poll: Duration,
    /// The most time one request may take.
    pub request_timeout: Duration,
}

/// Opens the database, starts the index and serves the website on `listener` until `shutdown` resolves;
/// the index stops with it.
pub async fn launch(
    listener: tokio::net::TcpListener,
    launch: Launch,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    use alloy::providers::{Provider, ProviderBuilder};
    let db = Database::open(&launch.database).await?;
    let provider = ProviderBuilder::new().connect_http(launch.rpc).erased();
    let indexer = Indexer::new(provider, launch.registry, db.clone(), launch.index);
    let (stop, stopped) = tokio::sync::watch::channel(());
    let index = tokio::spawn(indexer.run(launch.poll, watched(stopped.clone())));
    let app = app(AppState { db }, launch.request_timeout);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(());
        })
        .await;
    let _ = index.await;
    served.map_err(|error| WebError::Serve(error.to_string()))
}

/// Resolves when `receiver`'s sender sends or is gone.
async fn watched(mut receiver: tokio::sync::watch::Receiver<()>) {
    let _ = receiver.changed().await;
}
