//! A Connect app that provides operations data: it serves its descriptor, records the Jira
//! sites that install it, answers Jira's verified action calls, and pushes an incident to
//! each new site. Run with `APP_BASE_URL=https://<public-url> cargo run --example provider
//! --features server`; it listens on 127.0.0.1:3000.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router, http::StatusCode};
use jira_operations::GeneratedClient;
use jira_operations::auth::{Clock, Installation, MemoryStore, Signer, SystemClock, Verifier};
use jira_operations::provider::{
    ConnectAuthLayer, Container, FetchWorkspacesRequest, FetchWorkspacesResponse,
    OperationsInfoProvider, SearchContainersQuery, SearchContainersResponse, VerifiedCall,
    Workspace,
};
use jira_operations::types::{Incident, IncidentStatus, SubmitEntityRequest};
use serde_json::{Value, json};

/// The app's descriptor key: the `iss` of its calls to Jira.
pub const APP_KEY: &str = "com.example.rust-ops-provider";

#[derive(Clone)]
struct App {
    base_url: String,
    store: MemoryStore,
    clock: Arc<dyn Clock>,
}

/// The whole app, mounted at the path of `base_url` (e.g. `/connect`).
pub fn app(base_url: &str, clock: Arc<dyn Clock>) -> Router {
    let base_url = base_url.trim_end_matches('/').to_string();
    let store = MemoryStore::new();
    let verifier = Verifier::new(store.clone(), &base_url)
        .clock(clock.clone())
        .decoded_path_fallback(true);
    let jira_calls = Router::new()
        .route("/workspaces", post(fetch_workspaces))
        .route("/containers/search", get(search_containers))
        .layer(ConnectAuthLayer::new(verifier));
    let public = Router::new()
        .route("/atlassian-connect.json", get(descriptor))
        .route("/installed", post(installed));
    let routes = public.merge(jira_calls).with_state(App {
        base_url: base_url.clone(),
        store,
        clock,
    });

    match url::Url::parse(&base_url).map(|url| url.path().trim_end_matches('/').to_string()) {
        Ok(path) if !path.is_empty() => Router::new().nest(&path, routes),
        _ => routes,
    }
}

async fn descriptor(State(app): State<App>) -> Json<Value> {
    let module = OperationsInfoProvider::builder()
        .key("rust-ops-provider")
        .name("Rust Ops Provider")
        .home_url(&app.base_url)
        .fetch_workspaces("/workspaces")
        .search_containers("/containers/search")
        .build()
        .expect("the module is valid");
    Json(json!({
        "key": APP_KEY, "name": "Rust Ops Provider", "baseUrl": app.base_url,
        "authentication": {"type": "jwt"},
        "lifecycle": {"installed": "/installed"},
        "scopes": ["READ", "WRITE", "DELETE"],
        "modules": module.to_modules_value(),
    }))
}

// Not for production as it stands: this trusts the body as posted. A real app must first
// verify the signed-install RS256 token (`kid` key from Atlassian's CDN, `aud` = its base URL,
// `iss` = `clientKey`), or anyone could register a site or replace its shared secret.
async fn installed(State(app): State<App>, Json(site): Json<Installation>) -> StatusCode {
    app.store.insert(site.client_key.clone(), site.clone());

    let Ok(signer) = Signer::new(&site, app.clock.clone()) else {
        return StatusCode::BAD_REQUEST;
    };
    let client = GeneratedClient::new(&site.base_url, signer);
    let now = chrono::DateTime::from_timestamp(app.clock.now_secs() as i64, 0)
        .unwrap_or_default()
        .to_rfc3339();
    let incident = Incident {
        id: "INC-1".into(),
        summary: "Checkout latency above SLO".into(),
        description: "p99 checkout latency over 2 s in eu-west".into(),
        status: IncidentStatus::Open,
        affected_components: vec!["checkout".into()],
        created_date: now.clone(),
        last_updated: now,
        update_sequence_number: 1,
        url: format!("{}/incidents/INC-1", app.base_url),
        schema_version: Default::default(),
        severity: None,
        associations: vec![],
    };
    let body = SubmitEntityRequest {
        incidents: vec![incident],
        ..Default::default()
    };
    match client.submit_entity(&body).await {
        Ok(accepted) => tracing::info!("pushed: {:?}", accepted.accepted_incidents),
        Err(e) => tracing::error!("push to {} failed: {e}", site.base_url),
    }
    StatusCode::NO_CONTENT
}

async fn fetch_workspaces(
    _: VerifiedCall,
    Json(req): Json<FetchWorkspacesRequest>,
) -> Json<FetchWorkspacesResponse> {
    let workspaces = req
        .ids
        .iter()
        .filter(|id| *id == "ws-1")
        .map(|id| Workspace::new(id, "Payments"))
        .collect();
    Json(FetchWorkspacesResponse {
        workspaces,
        ..Default::default()
    })
}

async fn search_containers(
    _: VerifiedCall,
    Query(q): Query<SearchContainersQuery>,
) -> Json<SearchContainersResponse> {
    let containers = ["checkout", "payments-api"]
        .into_iter()
        .filter(|name| name.contains(&q.search_query))
        .map(|name| Container {
            name: Some(name.into()),
            ..Container::new(format!("ws-1/{name}").parse().expect("valid id"))
        })
        .collect();
    Json(SearchContainersResponse {
        containers,
        ..Default::default()
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt::init();
    let base_url = std::env::var("APP_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app(&base_url, Arc::new(SystemClock))).await
}
