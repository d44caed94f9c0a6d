//! Studio's OAuth2/OIDC endpoints (spec studio-accounts §2.6): authorize with the consent page,
//! grant, token, userinfo, keys, discovery; and the Altinn Studio application's side of it
//! (`/studio/login`, `/studio/signin-oidc`, `/studio/logout`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, message, private, render, texts};
use crate::http::login::cookie_value;
use crate::http::problem::OAuthErrorBody;
use crate::http::problem::Problem;
use crate::http::studio::accounts::{
    DesignerSession, MaybeAccount, MaybeDesigner, expired_form, inactive_page, server_error,
    studio_cookie, with_cookie,
};
use crate::http::studio::gitea_wire::StudioDiscovery;
use crate::secret;
use crate::services::keys::{IssuerName, JsonWebKeySet};
use crate::services::studio::{
    ACCOUNT_COOKIE, DESIGNER_COOKIE, DESIGNER_SESSION_SECS, KIND_DESIGNER,
};
use crate::services::studio_oauth::{Authorize, AuthorizeParams, DESIGNER_SCOPE, with_query};

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
        .route("/studio/login/oauth/authorize", get(authorize))
        .route("/studio/login/oauth/grant", post(grant))
        .route("/studio/login/oauth/access_token", post(access_token))
        .route("/studio/login/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/studio/login/oauth/keys", get(keys))
        .route("/studio/.well-known/openid-configuration", get(discovery))
        .route("/studio/login", get(designer_login))
        .route("/studio/signin-oidc", get(designer_callback))
        .route("/studio/logout", get(logout_page).post(designer_logout))
}

texts! {
    pub struct OauthTexts {
        authorize_title: ["Autoriser applikasjon", "Autoriser applikasjon", "Authorize application"],
        give_before: ["Vil du gi «", "Vil du gi «", "Do you want to give \""],
        give_between: ["» tilgang til kontoen din (", "» tilgang til kontoen din (", "\" access to your account ("],
        give_after: [")?", ")?", ")?"],
        may_read_write: [
            "Applikasjonen vil kunne lese og endre all informasjon i kontoen din, også private applikasjoner og organisasjoner.",
            "Applikasjonen vil kunne lese og endre all informasjon i kontoen din, også private applikasjonar og organisasjonar.",
            "The application will be able to read and write all your account information, including private applications and organisations.",
        ],
        registered_by: [
            "Applikasjonen er registrert av plattformoperatøren.",
            "Applikasjonen er registrert av plattformoperatøren.",
            "This application was registered by the platform operator.",
        ],
        redirected_to: ["Du blir sendt videre til", "Du blir sendt vidare til", "You will be redirected to"],
        authorize: ["Autoriser applikasjon", "Autoriser applikasjon", "Authorize Application"],
        cancel: ["Avbryt", "Avbryt", "Cancel"],
        authorization_failed: ["Autorisering feilet", "Autoriseringa feila", "Authorization failed"],
        form_expired: ["Skjemaet er utløpt", "Skjemaet har gått ut", "The form has expired"],
        start_again: ["Start innloggingen på nytt.", "Start innlogginga på nytt.", "Start the log-in again."],
        log_in: ["Logg inn", "Logg inn", "Log in"],
        mismatch: ["Forespørselen stemmer ikke", "Førespurnaden stemmer ikkje", "The request does not match"],
        mismatch_text: [
            "Autoriseringen stemmer ikke med den som ble startet. Start innloggingen på nytt.",
            "Autoriseringa stemmer ikkje med den som vart starta. Start innlogginga på nytt.",
            "The authorization does not match the one that was started. Start the log-in again.",
        ],
        try_again: ["Prøv igjen", "Prøv igjen", "Try again"],
        denied: ["Altinn Studio fikk ikke tilgang", "Altinn Studio fekk ikkje tilgang", "Altinn Studio was not given access"],
        denied_text: [
            "Du må gi Altinn Studio tilgang til kontoen din for å bruke Altinn Studio.",
            "Du må gi Altinn Studio tilgang til kontoen din for å bruke Altinn Studio.",
            "You must give Altinn Studio access to your account to use Altinn Studio.",
        ],
        login_expired: ["Innloggingen er utløpt", "Innlogginga har gått ut", "The log-in has expired"],
        login_failed: ["Innloggingen mislyktes", "Innlogginga mislukkast", "The log-in failed"],
        token_rejected: ["Tokenet ble ikke godtatt.", "Tokenet vart ikkje godteke.", "The token was not accepted."],
        log_out_question: [
            "Vil du logge ut av Altinn Studio?",
            "Vil du logge ut av Altinn Studio?",
            "Do you want to log out of Altinn Studio?",
        ],
        log_out: ["Logg ut", "Logg ut", "Log out"],
    }
}

#[derive(Template)]
#[template(path = "studio/consent.html")]
struct ConsentPage<'a> {
    f: Frame,
    t: &'static OauthTexts,
    app: &'a str,
    user: &'a str,
    redirect: &'a str,
    csrf: &'a str,
    /// The authorization request, posted back with the answer.
    hidden: [(&'static str, &'a str); 5],
}

#[derive(Template)]
#[template(path = "studio/logout.html")]
struct LogoutPage<'a> {
    f: Frame,
    t: &'static OauthTexts,
    csrf: &'a str,
}

/// A Studio message page (no-store, like every Studio page).
fn note(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
    links: Vec<Link>,
) -> Response {
    private(message(state, lang, status, title, text, links))
}

async fn authorize(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    uri: axum::http::Uri,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    let checked = match state.app.studio_authorize(p).await {
        Ok(c) => c,
        Err(e) => return server_error(&state, lang, &e),
    };
    let t = OauthTexts::of(lang);
    let (app, p) = match checked {
        Authorize::ErrorPage { error, description } => {
            return note(
                &state,
                lang,
                StatusCode::BAD_REQUEST,
                t.authorization_failed,
                &[error, ": ", &description].concat(),
                Vec::new(),
            );
        }
        Authorize::RedirectError(url) => return Redirect::to(&url).into_response(),
        Authorize::Valid(valid) => *valid,
    };
    // After a log-in the request comes back without `prompt=login`, or it would ask forever.
    let query: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("prompt="))
        .collect();
    let here = format!("/studio/login/oauth/authorize?{}", query.join("&"));
    let to_login = || {
        let to = with_query("/studio/user/login", &[("redirect_to", &here)]);
        Redirect::to(&to).into_response()
    };
    // OIDC Core §3.1.2.6: with prompt=none nothing may be shown; the client hears why.
    let refuse = |error: &str| {
        let mut q = vec![("error", error)];
        if let Some(st) = p.state.as_deref().filter(|s| !s.is_empty()) {
            q.push(("state", st));
        }
        Redirect::to(&with_query(
            p.redirect_uri.as_deref().unwrap_or_default(),
            &q,
        ))
        .into_response()
    };
    let silent = p.prompts("none");
    let (Some(s), Some(user)) = (s.as_ref(), s.as_ref().and_then(|s| s.user.clone())) else {
        return if silent {
            refuse("login_required")
        } else {
            to_login()
        };
    };
    let auth_time = s.session.data["auth_time"].as_i64().unwrap_or(0);
    if p.prompts("login") || p.too_old(auth_time, state.app.clock.now() / 1_000_000) {
        if silent {
            return refuse("login_required");
        }
        // A fresh log-in: this session ends, and the request waits at the log-in page.
        if let Err(e) = state.app.end_studio_session(&s.id).await {
            return server_error(&state, lang, &e);
        }
        return with_cookie(to_login(), studio_cookie(&state, ACCOUNT_COOKIE, "", 0));
    }
    if !user.is_active {
        return inactive_page(&state, lang, s, &user).await;
    }
    match state
        .app
        .studio_consent_known(&app, &user, p.scope.as_deref())
        .await
    {
        Ok(true) if !p.prompts("consent") => {
            return match state
                .app
                .studio_issue_code(&app, &user, &p, auth_time)
                .await
            {
                Ok(url) => Redirect::to(&url).into_response(),
                Err(e) => server_error(&state, lang, &e),
            };
        }
        Ok(_) if silent => return refuse("consent_required"),
        Ok(_) => {}
        Err(e) => return server_error(&state, lang, &e),
    }
    // Keep the request in the session: the grant must match it.
    let mut data = s.session.data.clone();
    data["oauth"] = json!(p);
    if let Err(e) = state.app.set_studio_session_data(&s.id, &data).await {
        return server_error(&state, lang, &e);
    }
    private(render(
        StatusCode::OK,
        &ConsentPage {
            f: Frame::new(&state, lang, t.authorize_title),
            t,
            app: &app.name,
            user: &user.name,
            redirect: p.redirect_uri.as_deref().unwrap_or(""),
            csrf: &s.session.csrf,
            hidden: [
                ("client_id", p.client_id.as_deref().unwrap_or("")),
                ("state", p.state.as_deref().unwrap_or("")),
                ("scope", p.scope.as_deref().unwrap_or("")),
                ("nonce", p.nonce.as_deref().unwrap_or("")),
                ("redirect_uri", p.redirect_uri.as_deref().unwrap_or("")),
            ],
        },
    ))
}

async fn grant(
    State(state): State<AppState>,
    lang: Lang,
    MaybeAccount(s): MaybeAccount,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some(s) = s else {
        return Redirect::to("/studio/user/login").into_response();
    };
    let Some(user) = s.user.clone().filter(|u| u.is_active) else {
        return Redirect::to("/studio/user/login").into_response();
    };
    let Ok(Form(f)) = form else {
        return (StatusCode::BAD_REQUEST, "invalid form").into_response();
    };
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let t = OauthTexts::of(lang);
    if !secret::constant_time_eq(field("_csrf"), &s.session.csrf) {
        return note(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            t.form_expired,
            t.start_again,
            vec![Link::new("/studio/login", t.log_in)],
        );
    }
    let stored: Option<AuthorizeParams> = s
        .session
        .data
        .get("oauth")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let Some(p) = stored.filter(|p| {
        p.client_id.as_deref().unwrap_or("") == field("client_id")
            && p.state.as_deref().unwrap_or("") == field("state")
            && p.redirect_uri.as_deref().unwrap_or("") == field("redirect_uri")
    }) else {
        return note(
            &state,
            lang,
            StatusCode::BAD_REQUEST,
            t.mismatch,
            t.mismatch_text,
            vec![Link::new("/studio/login", t.log_in)],
        );
    };
    let mut data = s.session.data.clone();
    if let Some(o) = data.as_object_mut() {
        o.remove("oauth");
    }
    let _ = state.app.set_studio_session_data(&s.id, &data).await;
    let redirect = p.redirect_uri.clone().unwrap_or_default();
    if field("granted") != "true" {
        let mut q = vec![
            ("error", "access_denied"),
            ("error_description", "the request is denied"),
        ];
        if let Some(st) = p.state.as_deref().filter(|s| !s.is_empty()) {
            q.push(("state", st));
        }
        return Redirect::to(&with_query(&redirect, &q)).into_response();
    }
    let app = match state.app.studio_oauth_app(field("client_id")).await {
        Ok(Some(app)) => app,
        Ok(None) => return (StatusCode::BAD_REQUEST, "unknown client").into_response(),
        Err(e) => return server_error(&state, lang, &e),
    };
    let auth_time = s.session.data["auth_time"].as_i64().unwrap_or(0);
    match state
        .app
        .studio_issue_code(&app, &user, &p, auth_time)
        .await
    {
        Ok(url) => (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response(),
        Err(e) => server_error(&state, lang, &e),
    }
}

async fn access_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        let body = OAuthErrorBody::new("invalid_request", "send application/x-www-form-urlencoded");
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    };
    match state
        .app
        .studio_token(&f, crate::http::auth::basic_credentials(&headers))
        .await
    {
        Ok(body) => ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(e) if e.status >= 500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CACHE_CONTROL, "no-store")],
            Json(OAuthErrorBody::new(e.error, &e.description)),
        )
            .into_response(),
        Err(e) => crate::http::problem::token_error(e.error, &e.description),
    }
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            Json(OAuthErrorBody::new(
                "invalid_token",
                "send a valid Studio access token",
            )),
        )
            .into_response()
    };
    let Some(token) = bearer(&headers) else {
        return unauthorized();
    };
    match state.app.studio_bearer(token).await {
        Ok(Some(user)) if user.is_active => match state.app.studio_userinfo(&user).await {
            Ok(info) => Json(info).into_response(),
            Err(e) => crate::http::internal(e),
        },
        Ok(_) => unauthorized(),
        Err(e) => crate::http::internal(e),
    }
}

async fn keys(State(state): State<AppState>) -> Result<Json<JsonWebKeySet>, Problem> {
    Ok(Json(
        state
            .app
            .keys
            .current(IssuerName::Studio)
            .map_err(|e| Problem::internal(&e))?
            .jwks(),
    ))
}

async fn discovery(State(state): State<AppState>) -> Result<Json<StudioDiscovery>, Problem> {
    let keys = state
        .app
        .keys
        .current(IssuerName::Studio)
        .map_err(|e| Problem::internal(&e))?;
    let alg = keys.signing_key().alg().to_string();
    Ok(Json(StudioDiscovery::new(&state.app, alg)))
}

// ---- the Altinn Studio application (Designer) as the client -----------------------------------

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
