//! A Connect app that provides operations data: it serves its descriptor, records the Jira
//! sites that install it (signed installs only), answers Jira's verified action calls, and
//! pushes an incident to each new site.
//!
//! `APP_BASE_URL=https://<public-url> cargo run --example provider --features server`
//! listens on 127.0.0.1:3000.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router, http::StatusCode};
use jira_operations::OperationsClient;
use jira_operations::auth::{Clock, MemoryStore, SystemClock, Verifier};
use jira_operations::provider::{
    ConnectAuthLayer, Container, FetchWorkspacesRequest, FetchWorkspacesResponse, InstallVerifier,
    OperationsInfoProvider, SearchContainersQuery, SearchContainersResponse, SignedInstallLayer,
    VerifiedCall, VerifiedInstall, Workspace, at_base_path,
};
use jira_operations::types::Incident;
use serde_json::{Value, json};

#[derive(Clone)]
struct App {
    base_url: String,
    store: MemoryStore,
    clock: Arc<dyn Clock>,
}

/// The app, mounted at the path of `base_url` (e.g. `/connect`).
pub fn app(base_url: &str, installs: InstallVerifier, clock: Arc<dyn Clock>) -> Router {
    let base_url = base_url.trim_end_matches('/').to_string();
    let store = MemoryStore::new();
    let calls = Verifier::new(store.clone(), &base_url).clock(clock.clone());
    let state = App {
        base_url: base_url.clone(),
        store,
        clock,
    };
    let install = post(installed).layer(SignedInstallLayer::new(installs));
    let routes = Router::new()
        .route("/workspaces", post(fetch_workspaces))
        .route("/containers/search", get(search_containers))
        // Covers the routes above only: the install has its own check, the descriptor is public.
        .layer(ConnectAuthLayer::new(calls.decoded_path_fallback(true)))
        .route("/installed", install)
        .route("/atlassian-connect.json", get(descriptor));
    at_base_path(&base_url, routes.with_state(state))
}

async fn descriptor(State(app): State<App>) -> Json<Value> {
    let module = OperationsInfoProvider::builder()
        .key("rust-ops-provider")
        .name("Rust Ops Provider")
        .home_url(&app.base_url)
        .fetch_workspaces("/workspaces")
        .search_containers("/containers/search")
        .build()
        .expect("a valid module");
    Json(json!({
        "key": "com.example.rust-ops-provider", "name": "Rust Ops Provider",
        "baseUrl": app.base_url, "authentication": {"type": "jwt"},
        "lifecycle": {"installed": "/installed"}, "apiMigrations": {"signed-install": true},
        "scopes": ["READ", "WRITE", "DELETE"], "modules": module.to_modules_value(),
    }))
}

async fn installed(State(app): State<App>, VerifiedInstall(site): VerifiedInstall) -> StatusCode {
    app.store.insert(site.client_key.clone(), site.clone());

    // A real app would queue this push rather than hold up Jira's callback.
    let client = OperationsClient::builder(site.clone()).clock(app.clock.clone());
    let Ok(client) = client.build() else {
        return StatusCode::BAD_REQUEST;
    };
    let now = chrono::DateTime::from_timestamp(app.clock.now_secs() as i64, 0).unwrap_or_default();
    let incident: Incident = serde_json::from_value(json!({
        "schemaVersion": "1.0", "id": "INC-1", "updateSequenceNumber": 1,
        "summary": "Checkout latency above its objective", "description": "p99 over 2 s",
        "status": "open", "affectedComponents": ["checkout"], "url": app.base_url + "/inc/1",
        "createdDate": now.to_rfc3339(), "lastUpdated": now.to_rfc3339(),
    }))
    .expect("a valid incident");
    let report = client
        .submit_incidents([incident], &Default::default())
        .await;
    if !report.is_complete_success() {
        tracing::error!("pushing to {} failed: {:?}", site.base_url, report.failed);
    }
    StatusCode::NO_CONTENT
}

async fn fetch_workspaces(
    _: VerifiedCall,
    Json(req): Json<FetchWorkspacesRequest>,
) -> Json<FetchWorkspacesResponse> {
    let known = req.ids.iter().filter(|id| *id == "ws-1");
    Json(known.map(|id| Workspace::new(id, "Payments")).collect())
}

async fn search_containers(
    _: VerifiedCall,
    Query(q): Query<SearchContainersQuery>,
) -> Json<SearchContainersResponse> {
    let names = ["checkout", "payments-api"].into_iter();
    let matching = names.filter(|name| name.contains(q.search_query.as_str()));
    let ids = matching.map(|name| format!("ws-1/{name}").parse().unwrap());
    Json(ids.map(Container::new).collect())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt::init();
    let base_url = std::env::var("APP_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let installs = InstallVerifier::new(&base_url);
    let app = app(&base_url, installs, Arc::new(SystemClock));
    axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await
}
