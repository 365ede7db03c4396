//! `POST /api/v1/plugins` (publish a rule plugin) and `GET /api/v1/plugins` (what is in
//! service). A publication is a multipart form: `manifest` (JSON), `component` (the
//! WebAssembly component) and `cases` (JSON).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cartouche_core::plugins::{MAX_PUBLISH_BYTES, PluginUpload};

use crate::AppState;
use crate::auth::RequireCaller;
use crate::error::ApiError;
use crate::extract::read_form;

/// `POST /api/v1/plugins`.
pub async fn publish(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    // Only publishers and the admin get as far as reading the body.
    let check = caller.clone();
    state.run(move |core| core.check_publisher(&check)).await?;
    let mut form = read_form(
        request,
        &["manifest", "component", "cases"],
        "a publication",
        MAX_PUBLISH_BYTES,
        "\"manifest\" (JSON), \"component\" (the .wasm) and \"cases\" (JSON)",
    )
    .await?;
    let (Some(manifest), Some(component), Some(cases)) =
        (form.take("manifest"), form.take("component"), form.take("cases"))
    else {
        return Err(ApiError::bad_request(
            "invalid_upload",
            "a publication needs three form fields: \"manifest\", \"component\" and \"cases\"",
        ));
    };
    let upload = PluginUpload { manifest, component, cases };
    let published = state.run(move |core| core.publish_plugin(&caller, upload)).await?;
    Ok((StatusCode::CREATED, Json(published)).into_response())
}

/// `GET /api/v1/plugins`: every published version, with its active range (public).
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items = state.run(|core| core.plugin_list()).await?;
    Ok(Json(items).into_response())
}
