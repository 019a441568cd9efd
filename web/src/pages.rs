//! The website's pages: server-rendered HTML (maud) over the same read functions as the JSON API,
//! readable on a phone. A bad path or id gets a page that says what and where, with the status the API
//! would answer.

mod dashboard;
mod layout;
mod new_request;
mod requests;
mod vaults;

use axum::{
    extract::{Path, Query, State, rejection::QueryRejection},
    http::header,
    response::{IntoResponse, Response},
    routing::{MethodRouter, get, post},
};
use maud::{Markup, html};

use crate::{
    AppError, AppState,
    api::{PageQuery, RequestQuery, parse_id},
};

/// Every page route: (path, handler).
pub(crate) fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(directory)),
        ("/vaults/{id}", get(vault)),
        ("/vaults/{id}/verify", get(verify)),
        ("/requests", get(requests)),
        ("/requests/new", get(new_request_page).post(new_request)),
        (
            "/requests/file",
            post(file_request).layer(axum::extract::DefaultBodyLimit::max(
                crate::api::FILING_BODY_LIMIT,
            )),
        ),
        ("/requests/{id}", get(request)),
        ("/signin", get(signin_page).post(signin)),
        ("/signout", post(signout)),
        ("/dashboard", get(dashboard_page)),
        ("/relay", get(relay_page).post(relay_form)),
        ("/assets/site.css", get(stylesheet)),
        ("/assets/signin.js", get(signin_script)),
        ("/assets/request.js", get(request_script)),
    ]
}

/// A refusal shown as a page.
pub(crate) struct PageError(pub(crate) AppError);

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        Self(error)
    }
}

impl From<crate::WebError> for PageError {
    fn from(error: crate::WebError) -> Self {
        Self(AppError::from(error))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = match self.0.status.as_u16() {
            404 => "Not found",
            400 => "Not understood",
            _ => "Something went wrong",
        };
        let body = layout::page(
            title,
            html! {
                h1 { (title) }
                p role="alert" { (self.0.error) }
                p { a href="/" { "Back to the vaults" } }
            },
        );
        (self.0.status, body).into_response()
    }
}

type PageResult = Result<Markup, PageError>;

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/site.css"),
    )
}

async fn signin_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/signin.js"),
    )
}

/// `GET /signin`: the address step, or with `?address=` the message to sign.
async fn signin_page(
    State(state): State<AppState>,
    query: Result<Query<SigninQuery>, QueryRejection>,
) -> PageResult {
    let Query(query) = query.map_err(AppError::query)?;
    let Some(text) = query.address.filter(|a| !a.is_empty()) else {
        return Ok(dashboard::ask_address());
    };
    let signer = crate::api::parse_address("your address", text.trim())?;
    let challenge = crate::auth::challenge(&state, signer).await?;
    Ok(dashboard::sign(&challenge, &signer))
}

/// The sign-in form's query.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SigninQuery {
    address: Option<String>,
}

/// The signed sign-in message.
#[derive(Debug, serde::Deserialize)]
struct SigninForm {
    message: String,
    signature: String,
}

/// `POST /signin`: a valid signature opens a session and goes to the dashboard.
async fn signin(
    State(state): State<AppState>,
    form: Result<axum::Form<SigninForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let axum::Form(form) = form.map_err(|e| AppError::bad_request("form", e.body_text()))?;
    let (token, _) = crate::auth::sign_in(&state, &form.message, &form.signature).await?;
    Ok((
        axum::http::StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, crate::auth::session_cookie(&token)),
            (header::LOCATION, "/dashboard".to_owned()),
        ],
    )
        .into_response())
}

async fn signout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    crate::auth::sign_out(&state, &headers).await?;
    Ok((
        axum::http::StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, crate::auth::cleared_cookie()),
            (header::LOCATION, "/".to_owned()),
        ],
    )
        .into_response())
}

/// `GET /dashboard`: the signed-in owner's vaults; without a session, the sign-in page.
async fn dashboard_page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let Some(owner) = crate::auth::session(&state, &headers).await? else {
        return Ok(axum::response::Redirect::to("/signin").into_response());
    };
    let vaults = state.db.vaults_of(owner, state.now()).await?;
    let phone = match (
        state.app_served,
        crate::relay::paired_inbox(&state.db, owner).await?,
    ) {
        (_, Some(inbox)) => dashboard::Phone::Paired(inbox),
        (true, None) => dashboard::Phone::Unpaired {
            link: format!("{}app/#pair", state.public_url),
        },
        (false, None) => dashboard::Phone::NotServed,
    };
    Ok(dashboard::dashboard(&owner, &vaults, &phone).into_response())
}

async fn request_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/request.js"),
    )
}

/// Which vault a new request is for.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRequestQuery {
    vault: Option<u64>,
}

async fn new_request_page(query: Result<Query<NewRequestQuery>, QueryRejection>) -> PageResult {
    let Query(query) = query.map_err(AppError::query)?;
    Ok(new_request::form(query.vault, None))
}

/// `POST /requests/new`: the request built from the form, reviewed in words; or the form again with
/// what is wrong.
async fn new_request(
    State(state): State<AppState>,
    form: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let axum::Form(fields) = form.map_err(|e| AppError::bad_request("form", e.body_text()))?;
    Ok(match crate::request_form::build(&fields, state.now()) {
        Ok(built) => new_request::review(&built, state.deployment.registry).into_response(),
        Err(error) => {
            let vault = fields
                .iter()
                .find(|(k, _)| k == "vault")
                .and_then(|(_, v)| v.parse().ok());
            (
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                new_request::form(vault, Some(&error)),
            )
                .into_response()
        }
    })
}

/// The filing form: the transaction `request-access --sign-only` printed (its hex, or its `--json`).
#[derive(Debug, serde::Deserialize)]
struct FileForm {
    signed: String,
}

/// `POST /requests/file`: the pasted signed request, checked and broadcast; the page says what was filed.
async fn file_request(
    State(state): State<AppState>,
    form: Result<axum::Form<FileForm>, axum::extract::rejection::FormRejection>,
) -> Result<Markup, PageError> {
    let axum::Form(form) = form.map_err(|e| AppError::bad_request("form", e.body_text()))?;
    let raw = crate::filing::pasted(&form.signed)?;
    let filed = crate::filing::file(&state.chain, state.deployment, &raw).await?;
    Ok(new_request::filed(&filed))
}

async fn relay_page(State(state): State<AppState>) -> Markup {
    dashboard::relay(
        state
            .relayer
            .as_deref()
            .map(crate::relayer::Relayer::account),
        None,
    )
}

/// The relay form: one signed message, as `dnavault-wallet` printed it.
#[derive(Debug, serde::Deserialize)]
struct RelayForm {
    signed: String,
}

/// `POST /relay`: the relayer submits the pasted message; the page says what happened.
async fn relay_form(
    State(state): State<AppState>,
    form: Result<axum::Form<RelayForm>, axum::extract::rejection::FormRejection>,
) -> Result<Markup, PageError> {
    let axum::Form(form) = form.map_err(|e| AppError::bad_request("form", e.body_text()))?;
    let Some(relayer) = state.relayer.clone() else {
        return Err(AppError {
            status: axum::http::StatusCode::NOT_FOUND,
            error: "this website runs no relayer: submit the message yourself with --send".into(),
            check: "no-relayer",
        }
        .into());
    };
    let request = serde_json::from_str(&form.signed).map_err(|e| {
        AppError::bad_request(
            "body",
            format!("that is not a signed message as dnavault-wallet prints it: {e}"),
        )
    })?;
    let relayed = relayer.relay(request, state.now()).await?;
    Ok(dashboard::relay(Some(relayer.account()), Some(&relayed)))
}

async fn directory(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> PageResult {
    let page = query.map_err(AppError::query)?.page()?;
    let vaults = state.db.vaults(page, state.now()).await?;
    let index = state.db.index_state().await?;
    Ok(vaults::directory(&vaults, &index, page))
}

async fn vault(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id = parse_id("vault", &id)?;
    let vault = state.db.vault(id, state.now()).await?;
    let vault = vault.ok_or_else(|| AppError::not_found("vault", id))?;
    Ok(vaults::vault(&vault))
}

async fn verify(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let verification = crate::api::verification(&state, &id).await?;
    Ok(vaults::verification(&verification))
}

async fn requests(
    State(state): State<AppState>,
    query: Result<Query<RequestQuery>, QueryRejection>,
) -> PageResult {
    let (filter, page) = query.map_err(AppError::query)?.filter()?;
    let requests = state.db.requests(&filter, page, state.now()).await?;
    Ok(requests::list(&requests, filter.status.as_deref(), page))
}

async fn request(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id = parse_id("access request", &id)?;
    let request = state.db.request(id, state.now()).await?;
    let request = request.ok_or_else(|| AppError::not_found("access request", id))?;
    Ok(requests::request(&request))
}
