//! The caller of a request: the bearer token, checked by the core (which audits unknown
//! and malformed tokens). Authorization itself is the core's
//! ([`cartouche_core::authz::authorize`]).

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use cartouche_core::{Caller, RequestContext};

use crate::AppState;
use crate::error::ApiError;

/// The caller, if the request carries a token; a bad token is an error, not anonymity.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Ok(MaybeCaller(None));
        };
        let header = value.to_str().unwrap_or("").to_owned();
        let context = RequestContext {
            method: crate::method_label(&parts.method).to_owned(),
            route: parts.extensions.get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            client: parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip()),
        };
        let caller = state.run(move |core| core.authenticate(&header, &context)).await?;
        Ok(MaybeCaller(Some(caller)))
    }
}

/// The caller, required.
pub struct RequireCaller(pub Caller);

impl FromRequestParts<AppState> for RequireCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match MaybeCaller::from_request_parts(parts, state).await?.0 {
            Some(caller) => Ok(RequireCaller(caller)),
            None => Err(ApiError::unauthorized(
                "unauthorized",
                "this route needs an API token: send 'Authorization: Bearer ct_…'",
            )),
        }
    }
}
