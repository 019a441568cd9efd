//! The DNA Vault website: an index of the VaultRegistry's events ([`index`]) in a database ([`db`]), the
//! JSON API over it ([`api`]) and the pages beside it, and a verifier view that checks a vault's
//! attestation itself ([`verify`]).
//!
//! The website is a convenience, not a trust anchor: vaults and wallets check the chain themselves. What it
//! shows, it reads from the chain through one endpoint its operator chose, at a confirmation depth, and it
//! survives a reorganisation of that chain.

mod allowance;
pub mod api;
pub mod app_bundle;
mod app_error;
mod audit_carrier;
pub mod auth;
pub mod db;
mod error;
pub mod filing;
pub mod index;
mod pages;
pub mod relay;
pub mod relayer;
mod request_form;
pub mod verify;

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
    /// The chain and registry it indexes.
    pub deployment: verify::Deployment,
    /// How the verifier view checks a vault's attestation.
    pub verifier: std::sync::Arc<dnavault_attest::Verifier>,
    /// Where the verifier view may fetch evidence from, and what it fetched lately.
    pub outbound: std::sync::Arc<verify::Outbound>,
    /// Where people reach the website (`https://dnavault.example/`): sign-in messages name it.
    pub public_url: url::Url,
    /// The chain, for broadcasting researchers' signed access requests.
    pub chain: alloy::providers::DynProvider,
    /// The relayer, when the website runs one.
    pub relayer: Option<std::sync::Arc<relayer::Relayer>>,
    /// The relay's per-sender rates.
    pub relay_limits: std::sync::Arc<relay::RelayLimits>,
    /// The JSON-RPC URL the phone app is offered for reading the chain.
    pub public_rpc: url::Url,
    /// Whether the phone app is served at `/app/`: the dashboard then offers to pair it.
    pub app_served: bool,
}

impl AppState {
    /// Unix seconds now: what decides whether a grant or request has expired (the protocol's one clock;
    /// a clock before 1970 reads as 0, so nothing looks live).
    pub fn now(&self) -> u64 {
        dnavault_protocol::clock::unix_now().unwrap_or(0)
    }

    /// The signing domain of this deployment's registry, which relay messages are signed under.
    pub fn domain(&self) -> alloy::sol_types::Eip712Domain {
        dnavault_protocol::eip712::registry_domain(
            self.deployment.chain_id,
            self.deployment.registry,
        )
    }
}

/// The website over `state`: every route, traced by its route, answered within `timeout`, and a JSON
/// refusal for a path it does not serve.
pub fn app(state: AppState, timeout: Duration) -> Router {
    let api = api::routes()
        .into_iter()
        .chain(relay::routes())
        .map(|r| (r.path, r.handler));
    let router = api
        .chain(pages::routes())
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
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

/// A path the website does not serve: a JSON refusal under `/api/`, else a page.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    let api = uri.path().starts_with("/api/");
    let error = AppError {
        status: axum::http::StatusCode::NOT_FOUND,
        error: match api {
            true => {
                "the API serves no such path; its routes are listed at /api/openapi.json".into()
            }
            false => format!("this website has no page at {}", uri.path()),
        },
        check: "not-found",
    };
    match api {
        true => error.into_response(),
        false => pages::PageError(error).into_response(),
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
    /// How the verifier view checks attestations.
    pub verifier: dnavault_attest::Verifier,
    /// Whether the verifier view fetches evidence from private and local addresses (a local stack).
    pub allow_private_vault_hosts: bool,
    /// Where people reach the website.
    pub public_url: url::Url,
    /// The relayer's funded account and how many messages it takes per owner an hour, if it runs one.
    pub relayer: Option<(alloy::signers::local::PrivateKeySigner, usize)>,
    /// The phone authenticator's bundle, served at `/app/`, if given.
    pub app_dir: Option<std::path::PathBuf>,
    /// The JSON-RPC URL the phone app is offered for reading the chain (its own checks read it).
    pub public_rpc: url::Url,
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
    let provider = ProviderBuilder::new()
        .connect_http(launch.rpc.clone())
        .erased();
    let chain_id = provider.get_chain_id().await.map_err(error::chain)?;
    let deployment = verify::Deployment {
        chain_id,
        registry: launch.registry,
    };
    let indexer = Indexer::new(provider.clone(), launch.registry, db.clone(), launch.index);
    let relayer = launch.relayer.map(|(account, per_hour)| {
        std::sync::Arc::new(relayer::Relayer::new(
            launch.rpc.clone(),
            account,
            deployment,
            per_hour,
        ))
    });
    let (stop, stopped) = tokio::sync::watch::channel(());
    let index = tokio::spawn(indexer.run(launch.poll, watched(stopped.clone())));
    let state = AppState {
        db,
        deployment,
        verifier: std::sync::Arc::new(launch.verifier),
        outbound: std::sync::Arc::new(verify::Outbound::new(launch.allow_private_vault_hosts)),
        public_url: launch.public_url,
        chain: provider,
        relayer,
        relay_limits: Default::default(),
        public_rpc: launch.public_rpc.clone(),
        app_served: launch.app_dir.is_some(),
    };
    let mut app = app(state, launch.request_timeout);
    if let Some(dir) = &launch.app_dir {
        app = app.nest_service(
            app_bundle::PATH,
            app_bundle::service(dir, &launch.public_rpc)?,
        );
    }
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
