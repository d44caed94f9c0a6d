//! The Altinn Studio application (Designer) as a client of Studio's own OpenID provider: its
//! log-in with PKCE, the callback that checks the nonce and starts the Designer's session, and
//! its log-out.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::oauth::{OauthTexts, note};
use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, private, render};
use crate::http::login::cookie_value;
use crate::http::studio::accounts::{
    DesignerSession, MaybeAccount, MaybeDesigner, expired_form, server_error, studio_cookie,
    with_cookie,
};
use crate::secret;
use crate::services::keys::IssuerName;
use crate::services::studio::{DESIGNER_COOKIE, DESIGNER_SESSION_SECS, Device, KIND_DESIGNER};
use crate::services::studio_oauth::{DESIGNER_SCOPE, with_query};

const FLOW_COOKIE: &str = "AltinnStudioDesignerFlow";
/// The purpose of the Designer's sealed flow (see `App::seal`).
const DESIGNER_FLOW: &str = "studio-designer";

/// The Altinn Studio application's log-in in progress, sealed in this browser's cookie.
#[derive(serde::Serialize, serde::Deserialize)]
struct DesignerFlow {
    state: String,
    verifier: String,
    nonce: String,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio/login", get(designer_login))
        .route("/studio/signin-oidc", get(designer_callback))
        .route("/studio/logout", get(logout_page).post(designer_logout))
}

#[derive(Template)]
#[template(path = "studio/logout.html")]
struct LogoutPage<'a> {
    f: Frame,
    t: &'static OauthTexts,
    csrf: &'a str,
}

/// `/studio/login`: starts the code flow with PKCE against Studio's own provider.
async fn designer_login(
    State(state): State<AppState>,
    MaybeDesigner(d): MaybeDesigner,
) -> Response {
    if d.is_some() {
        return Redirect::to("/studio/dashboard").into_response();
    }
    let (client_id, _) = state.app.studio_designer_client();
    let flow_state = secret::random_token();
    let verifier = secret::random_token();
    let nonce = secret::random_token();
    // Kept sealed in this browser's cookie, not in the database (no row per anonymous GET).
    let flow = state.app.seal(
        DESIGNER_FLOW,
        DesignerFlow {
            state: flow_state.clone(),
            verifier: verifier.clone(),
            nonce: nonce.clone(),
        },
        600,
    );
    let url = with_query(
        "/studio/login/oauth/authorize",
        &[
            ("client_id", &client_id),
            ("redirect_uri", &state.app.config.url("/studio/signin-oidc")),
            ("response_type", "code"),
            ("scope", DESIGNER_SCOPE),
            ("state", &flow_state),
            ("nonce", &nonce),
            ("code_challenge", &secret::pkce_challenge(&verifier)),
            ("code_challenge_method", "S256"),
        ],
    );
    with_cookie(
        Redirect::to(&url).into_response(),
        studio_cookie(&state, FLOW_COOKIE, &flow, 600),
    )
}

#[derive(serde::Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `/studio/signin-oidc`: exchanges the code and starts the application's session.
async fn designer_callback(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    device: Device,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let flow: Option<DesignerFlow> =
        cookie_value(&headers, FLOW_COOKIE).and_then(|c| state.app.unseal(DESIGNER_FLOW, &c));
    let t = OauthTexts::of(lang);
    let again = || vec![Link::new("/studio/login", t.try_again)];
    if q.error.as_deref() == Some("access_denied") {
        return note(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            t.denied,
            t.denied_text,
            again(),
        );
    }
    let Some(flow) = flow.filter(|f| q.state.as_deref() == Some(f.state.as_str())) else {
        return note(
            &state,
            lang,
            StatusCode::BAD_REQUEST,
            t.login_expired,
            t.start_again,
            again(),
        );
    };
    let (client_id, client_secret) = state.app.studio_designer_client();
    let mut form = HashMap::new();
    form.insert("grant_type".to_owned(), "authorization_code".to_owned());
    form.insert("code".to_owned(), q.code.clone().unwrap_or_default());
    form.insert(
        "redirect_uri".to_owned(),
        state.app.config.url("/studio/signin-oidc"),
    );
    form.insert("code_verifier".to_owned(), flow.verifier);
    let tokens = match state
        .app
        .studio_token(&form, Some((client_id, client_secret)))
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = e.error, description = %e.description, "Altinn Studio could not exchange the code");
            return note(
                &state,
                lang,
                StatusCode::BAD_REQUEST,
                t.login_failed,
                &e.description,
                again(),
            );
        }
    };
    let access = tokens.access_token.as_str();
    let nonce_ok = tokens
        .id_token
        .as_deref()
        .and_then(|t| {
            let keys = state.app.keys.current(IssuerName::Studio).ok()?;
            crate::jose::verify_compact(t, keys.verifying_keys()).ok()
        })
        .and_then(|c| c.get("nonce").and_then(Value::as_str).map(str::to_owned))
        .is_some_and(|n| n == flow.nonce);
    let user = match state.app.studio_bearer(access).await {
        Ok(Some(u)) if nonce_ok => u,
        Ok(_) => {
            return note(
                &state,
                lang,
                StatusCode::BAD_REQUEST,
                t.login_failed,
                t.token_rejected,
                again(),
            );
        }
        Err(e) => return server_error(&state, lang, &e),
    };
    match state
        .app
        .new_studio_session(
            KIND_DESIGNER,
            Some(user.id),
            json!({"access_token": access}),
            &device,
        )
        .await
    {
        Ok((id, _)) => {
            let response = with_cookie(
                Redirect::to("/studio/dashboard").into_response(),
                studio_cookie(&state, DESIGNER_COOKIE, &id, DESIGNER_SESSION_SECS),
            );
            with_cookie(response, studio_cookie(&state, FLOW_COOKIE, "", 0))
        }
        Err(e) => server_error(&state, lang, &e),
    }
}

/// `GET /studio/logout`: asks before logging out (a link elsewhere cannot log people out).
async fn logout_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
    MaybeAccount(a): MaybeAccount,
) -> Response {
    let csrf = d
        .as_ref()
        .map(|d| d.session.csrf.clone())
        .or_else(|| a.as_ref().map(|a| a.session.csrf.clone()));
    let Some(csrf) = csrf else {
        return Redirect::to("/studio/").into_response();
    };
    let t = OauthTexts::of(lang);
    private(render(
        StatusCode::OK,
        &LogoutPage {
            f: Frame::new(&state, lang, t.log_out),
            t,
            csrf: &csrf,
        },
    ))
}

/// `POST /studio/logout` (Designer's): ends the application's session and the account's, so
/// that the next person on this browser starts from the log-in.
async fn designer_logout(
    State(state): State<AppState>,
    lang: Lang,
    MaybeDesigner(d): MaybeDesigner,
    MaybeAccount(a): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let token = form
        .as_ref()
        .ok()
        .and_then(|Form(f)| f.get("_csrf").cloned())
        .unwrap_or_default();
    let ok = d
        .as_ref()
        .is_some_and(|d| secret::constant_time_eq(&token, &d.session.csrf))
        || a.as_ref()
            .is_some_and(|a| secret::constant_time_eq(&token, &a.session.csrf));
    if !ok {
        if d.is_none() && a.is_none() {
            return Redirect::to("/studio/").into_response();
        }
        return expired_form(
            &state,
            lang,
            Some(("/studio/logout", OauthTexts::of(lang).log_out)),
        );
    }
    if let Some(DesignerSession { id, .. }) = d {
        let _ = state.app.end_studio_session(&id).await;
    }
    if let Some(a) = a {
        let _ = state.app.end_studio_session(&a.id).await;
    }
    let response = with_cookie(
        Redirect::to("/studio/").into_response(),
        studio_cookie(&state, DESIGNER_COOKIE, "", 0),
    );
    with_cookie(
        response,
        studio_cookie(&state, crate::services::studio::ACCOUNT_COOKIE, "", 0),
    )
}
