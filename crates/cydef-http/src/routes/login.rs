//! JWT login for frontends: e-mail and password in, a short-lived bearer
//! token out. (A Cydef extension; MISP's own login is an HTML form.)

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::resource;
use crate::error::{ApiError, ApiResult, ACCOUNT_DISABLED};
use crate::views::ErrorBody;
use crate::wire::{MispJson, Wrapped};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "admin@admin.test")]
    pub email: String,
    pub password: String,
}

impl Wrapped for LoginRequest {
    const WRAPPER: &'static str = "User";
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

const BAD_LOGIN: &str = "Invalid username or password.";

/// Exchanges an e-mail and password for a bearer token (HS256 JWT).
#[utoipa::path(post, path = "/auth/login", tag = "Authentication",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 403, description = "Wrong e-mail or password, or account disabled", body = ErrorBody)))]
pub async fn login(
    state: web::Data<AppState>,
    body: MispJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let MispJson(req) = body;
    let found = state.store.get_user_by_email(&req.email).await?;
    let Some((user, Some(hash))) = found else {
        // Spend the same time as a real check so unknown e-mails don't show.
        let _ = cydef_model::password::verify(&req.password, DUMMY_HASH);
        return Err(ApiError::forbidden(BAD_LOGIN));
    };
    let password = req.password.clone();
    let ok = web::block(move || cydef_model::password::verify(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !ok {
        return Err(ApiError::forbidden(BAD_LOGIN));
    }
    if user.disabled {
        return Err(ApiError::forbidden(ACCOUNT_DISABLED));
    }
    let token = state.jwt.issue(user.id)?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        token_type: "Bearer",
        expires_in: state.jwt.lifetime_secs,
    }))
}

/// An Argon2 hash of a random string, verified against when the user is
/// unknown so that timing does not tell which e-mails exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1rQ3Xqv2N0yJ5c4V1k5m0F0Lr6c6M1n5z2JdP3Yh8xQ";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/login").route(web::post().to(login)));
}
