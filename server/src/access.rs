//! The one place requests are authorized. Runs on every routed request (REST,
//! server functions, pages) after routing, looks up what the matched route needs
//! in `app::identity::access`, authenticates the caller (bearer token or session
//! cookie) and either refuses or hands the signed-in user to the handler as a
//! `SignedIn` request extension.

use crate::api::ApiError;
use app::error::AppError;
use app::identity::access::{self, Access, SignedIn, Surface};
use app::identity::service::{self as identity, Client};
use app::state::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::net::SocketAddr;

pub async fn authorize(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_owned(),
        None => request.uri().path().to_owned(),
    };
    let method = request.method().as_str().to_owned();
    let surface = Surface::of(&route);
    let Some(needed) = access::required(&method, &route) else {
        let allowed = access::rest_methods(&route);
        if surface == Surface::Rest && !allowed.is_empty() {
            return method_not_allowed(&method, &route, &allowed);
        }
        tracing::error!(%method, %route, "refused: the route has no entry in the permission table");
        return refuse(
            surface,
            AppError::Forbidden(format!(
                "No permission is declared for {method} {route}, so nobody may call it"
            )),
        );
    };
    if needed == Access::Public {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let client = Client::of_request(request.headers(), peer);
    let user = match identity::authenticate(&state, request.headers(), &client).await {
        Ok(user) => user,
        Err(err) => return refuse(surface, err),
    };
    let Some(user) = user else {
        if surface == Surface::Page {
            return to_sign_in(&request);
        }
        return refuse(
            surface,
            AppError::Unauthenticated(
                "Sign in first: send a session cookie or an `Authorization: Bearer` API token"
                    .into(),
            ),
        );
    };
    if !needed.admits(user.role) {
        return refuse(surface, identity::forbidden(user.role, &needed.describe()));
    }
    // Handlers that audit what they do also need where the request came from.
    request.extensions_mut().insert(client);
    request.extensions_mut().insert(SignedIn(user));
    next.run(request).await
}

/// A REST route asked with a method it does not have: 405, naming the ones it has.
fn method_not_allowed(method: &str, route: &str, allowed: &[&str]) -> Response {
    let allow = allowed.join(", ");
    let mut response = ApiError::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{route} does not take {method}; it takes {allow}"),
    )
    .into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&allow) {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, value);
    }
    response
}

/// A browser without a session goes to the sign-in page, and back here after.
fn to_sign_in(request: &Request) -> Response {
    let here = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target = format!(
        "/login?next={}",
        form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
    );
    (StatusCode::SEE_OTHER, [(LOCATION, target)]).into_response()
}

fn refuse(surface: Surface, err: AppError) -> Response {
    match surface {
        Surface::Rest => ApiError::from(err).into_response(),
        // The browser's server-function client decodes the error from the body.
        Surface::ServerFn => {
            let body = serde_json::to_string(&err).unwrap_or_default();
            (err.status(), [(CONTENT_TYPE, "application/json")], body).into_response()
        }
        Surface::Page => {
            let message = ammonia::clean_text(&err.to_string());
            let page = format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <title>Not allowed · Sitrep</title></head><body><main>\
                 <h1>Not allowed</h1><p>{message}</p><p><a href=\"/\">Incidents</a></p>\
                 </main></body></html>"
            );
            (err.status(), Html(page)).into_response()
        }
    }
}
