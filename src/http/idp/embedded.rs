//! The embedded ID-porten and Ansattporten (local profile): discovery, keys, the log-in page,
//! PAR, token, userinfo and end-session endpoints.

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::Pid;
use crate::domain::grant::{GrantError, OAuthError};
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{Lang, esc, page};
use crate::http::idp::maskinporten::oauth_error;
use crate::http::problem::Problem;
use crate::services::idp::{
    ANSATTPORTEN, AuthorizeError, AuthorizeParams, ClientCredentials, CodeTokenForm, IDPORTEN, Idp,
    IdpError, PendingLogin,
};

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for idp in [IDPORTEN, ANSATTPORTEN] {
        let p = idp.path;
        router = router
            .route(
                &format!("/{p}/.well-known/openid-configuration"),
                get(move |s: State<AppState>| discovery(s, idp)),
            )
            .route(
                &format!("/{p}/jwks"),
                get(move |s: State<AppState>| jwks(s, idp)),
            )
            .route(
                &format!("/{p}/authorize"),
                get(
                    move |s: State<AppState>,
                          l: Lang,
                          peer: ClientAddr,
                          q: Result<Query<AuthorizeParams>, QueryRejection>| {
                        authorize(s, l, peer, q, idp)
                    },
                ),
            )
            .route(
                &format!("/{p}/authorize/login"),
                post(
                    move |s: State<AppState>,
                          l: Lang,
                          f: Result<Form<LoginForm>, FormRejection>| {
                        login(s, l, f, idp)
                    },
                ),
            )
            .route(
                &format!("/{p}/par"),
                post(
                    move |s: State<AppState>,
                          h: HeaderMap,
                          f: Result<Form<ParForm>, FormRejection>| {
                        par(s, h, f, idp)
                    },
                ),
            )
            .route(
                &format!("/{p}/token"),
                post(
                    move |s: State<AppState>,
                          h: HeaderMap,
                          f: Result<Form<CodeTokenForm>, FormRejection>| {
                        token(s, h, f, idp)
                    },
                ),
            )
            .route(
                &format!("/{p}/userinfo"),
                get(move |s: State<AppState>, h: HeaderMap| userinfo(s, h, idp)),
            )
            .route(
                &format!("/{p}/endsession"),
                get(move |s: State<AppState>, l: Lang, q: Query<EndSession>| {
                    end_session(s, l, q, idp)
                }),
            );
    }
    router
}

async fn discovery(State(state): State<AppState>, idp: Idp) -> Result<Json<Value>, Problem> {
    let issuer = state.app.idp_issuer(idp);
    let alg = state
        .app
        .keys
        .current(idp.issuer)
        .map_err(|e| Problem::internal(&e))?
        .signing_key()
        .alg()
        .as_str();
    Ok(Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}authorize"),
        "pushed_authorization_request_endpoint": format!("{issuer}par"),
        "token_endpoint": format!("{issuer}token"),
        "userinfo_endpoint": format!("{issuer}userinfo"),
        "end_session_endpoint": format!("{issuer}endsession"),
        "jwks_uri": format!("{issuer}jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [alg],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": ["idporten-loa-substantial", "idporten-loa-high"],
        "scopes_supported": ["openid", "profile"],
        "claims_supported": ["sub", "pid", "acr", "amr", "auth_time", "nonce", "locale", "sid"],
        "ui_locales_supported": ["nb", "nn", "en"],
        "authorization_response_iss_parameter_supported": true,
        "require_pushed_authorization_requests": false,
    })))
}

async fn jwks(State(state): State<AppState>, idp: Idp) -> Result<Json<Value>, Problem> {
    Ok(Json(
        state
            .app
            .keys
            .current(idp.issuer)
            .map_err(|e| Problem::internal(&e))?
            .jwks(),
    ))
}

fn error_page(lang: Lang, idp: Idp, status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p>{}</p>",
        esc(&format!("{} (test)", idp.display_name)),
        esc(message),
        lang.t(
            "Gå tilbake til tjenesten og prøv igjen.",
            "Go back to the service and try again."
        )
    );
    (status, page(lang, idp.display_name, true, &body)).into_response()
}

async fn authorize(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(peer): ClientAddr,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
    idp: Idp,
) -> Response {
    let Query(params) = match query {
        Ok(q) => q,
        Err(e) => return error_page(lang, idp, StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let source = peer.to_string();
    match state.app.begin_authorize(idp, params, Some(&source)).await {
        Ok(pending) => login_page(&state, lang, idp, &pending, None, StatusCode::OK).await,
        Err(e) => authorize_error(lang, idp, e),
    }
}

fn authorize_error(lang: Lang, idp: Idp, e: AuthorizeError) -> Response {
    match (e.redirect_url(), e) {
        (Some(url), _) => Redirect::to(&url).into_response(),
        (None, AuthorizeError::Show(message)) => {
            error_page(lang, idp, StatusCode::BAD_REQUEST, &message)
        }
        (None, AuthorizeError::Redirect { description, .. }) => {
            error_page(lang, idp, StatusCode::BAD_REQUEST, &description)
        }
    }
}

async fn login_page(
    state: &AppState,
    lang: Lang,
    idp: Idp,
    pending: &PendingLogin,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let level = if pending.acr == crate::services::idp::ACR_HIGH {
        lang.t("høyt", "high")
    } else {
        lang.t("betydelig", "substantial")
    };
    let mut body = format!(
        "<h1>{}</h1><p>{} <strong>{}</strong>. {} {}.</p>",
        esc(&format!(
            "{} {} (test)",
            lang.t("Logg inn med", "Log in with"),
            idp.display_name
        )),
        lang.t("Du logger inn til", "You are logging in to"),
        esc(&pending.client_name),
        lang.t("Sikkerhetsnivå:", "Level of assurance:"),
        level,
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\"><strong>{}</strong></p>",
            esc(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/{p}/authorize/login\"><input type=\"hidden\" name=\"request_id\" value=\"{id}\">",
        p = idp.path,
        id = esc(&pending.id)
    ));
    let people = match state.app.main_administrators(500).await {
        Ok(p) => p,
        Err(e) => return crate::http::problem::Problem::from(e).into_response(),
    };
    let mut seen = std::collections::BTreeSet::new();
    body.push_str(&format!(
        "<h2>{}</h2><ul class=\"people\">",
        lang.t("Velg en testperson", "Choose a test person")
    ));
    for r in people {
        if !seen.insert(r.pid.clone()) {
            continue;
        }
        body.push_str(&format!(
            "<li><button type=\"submit\" name=\"pid\" value=\"{pid}\">{name}</button> <span class=\"muted\">{pid} · {role} {org}</span></li>",
            pid = esc(&r.pid),
            name = esc(&r.person_name),
            role = esc(&r.role),
            org = esc(&r.org_name)
        ));
    }
    body.push_str("</ul>");
    body.push_str(&format!(
        "<h2>{}</h2><p><label for=\"pid-input\">{}</label><br><input id=\"pid-input\" name=\"pid_custom\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"11\" value=\"{}\"> \
         <button type=\"submit\" name=\"action\" value=\"custom\">{}</button></p></form>",
        lang.t("Eller skriv inn et syntetisk fødselsnummer", "Or enter a synthetic national identity number"),
        lang.t("Fødselsnummer (11 siffer, syntetisk: måned + 80)", "National identity number (11 digits, synthetic: month + 80)"),
        esc(pending.login_hint.as_deref().unwrap_or("")),
        lang.t("Logg inn", "Log in")
    ));
    (
        status,
        page(
            lang,
            &format!("{} – {}", lang.t("Logg inn", "Log in"), idp.display_name),
            true,
            &body,
        ),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    request_id: String,
    pid: Option<String>,
    pid_custom: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    lang: Lang,
    form: Result<Form<LoginForm>, FormRejection>,
    idp: Idp,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) => return error_page(lang, idp, StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let chosen = form.pid.or(form.pid_custom).unwrap_or_default();
    let problem = match chosen.trim().parse::<Pid>() {
        Err(e) => Some(format!(
            "{}: {e}",
            lang.t("Ugyldig fødselsnummer", "Invalid national identity number")
        )),
        Ok(p) if !p.is_synthetic() => Some(
            lang.t(
                "Bare syntetiske fødselsnumre (måned + 80) kan logge inn her.",
                "Only synthetic national identity numbers (month + 80) can log in here.",
            )
            .to_owned(),
        ),
        Ok(_) => None,
    };
    if let Some(message) = problem {
        return match state.app.pending_login(idp, &form.request_id).await {
            Ok(Some(pending)) => {
                login_page(
                    &state,
                    lang,
                    idp,
                    &pending,
                    Some(&message),
                    StatusCode::BAD_REQUEST,
                )
                .await
            }
            _ => error_page(
                lang,
                idp,
                StatusCode::BAD_REQUEST,
                lang.t("Innloggingen er utløpt.", "The log-in has expired."),
            ),
        };
    }
    match state
        .app
        .complete_login(idp, &form.request_id, &chosen)
        .await
    {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => authorize_error(lang, idp, e),
    }
}

/// `Authorization: Basic` credentials (RFC 6749 §2.3.1: both parts form-urlencoded).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let (id, secret) = (url_decode(id), url_decode(secret));
    // Decoded here, after the edge's check for NUL characters: check again.
    (!id.contains('\0') && !secret.contains('\0')).then_some((id, secret))
}

/// Decodes `+` and `%XX` (application/x-www-form-urlencoded); bad escapes stay as they are.
fn url_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_error(e: FormRejection) -> Response {
    let description = match e {
        FormRejection::InvalidFormContentType(_) => {
            "send the request as application/x-www-form-urlencoded".to_owned()
        }
        other => format!("the form cannot be read: {}", other.body_text()),
    };
    oauth_error(&GrantError::new(OAuthError::InvalidRequest, description))
}

fn idp_error(e: IdpError) -> Response {
    match e {
        IdpError::OAuth(g) => oauth_error(&g),
        IdpError::Store(s) => {
            tracing::error!(error = %s, "OpenID provider request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": "server_error", "error_description": "see the server log"})),
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
struct ParForm {
    #[serde(flatten)]
    credentials: ClientCredentials,
    #[serde(flatten)]
    params: AuthorizeParams,
}

async fn par(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<ParForm>, FormRejection>,
    idp: Idp,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) => return form_error(e),
    };
    let client = match state
        .app
        .authenticate_idp_client(idp, &form.credentials, basic_credentials(&headers))
        .await
    {
        Ok(c) => c,
        Err(e) => return idp_error(e),
    };
    match state
        .app
        .push_authorization_request(idp, &client, form.params)
        .await
    {
        Ok((request_uri, expires_in)) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"request_uri": request_uri, "expires_in": expires_in})),
        )
            .into_response(),
        Err(e) => idp_error(e),
    }
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<CodeTokenForm>, FormRejection>,
    idp: Idp,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) => return form_error(e),
    };
    match state
        .app
        .idp_token(idp, &form, basic_credentials(&headers))
        .await
    {
        Ok(body) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(body),
        )
            .into_response(),
        Err(e) => idp_error(e),
    }
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap, idp: Idp) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized = |desc: &str| {
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                format!("Bearer error=\"invalid_token\", error_description=\"{desc}\""),
            )],
            Json(json!({"error": "invalid_token", "error_description": desc})),
        )
            .into_response()
    };
    let Some(token) = token else {
        return unauthorized("send the access token as a Bearer token");
    };
    match state.app.idp_userinfo(idp, token).await {
        Some(info) => Json(info).into_response(),
        None => unauthorized("the access token is not valid"),
    }
}

#[derive(Deserialize)]
struct EndSession {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

async fn end_session(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<EndSession>,
    idp: Idp,
) -> Response {
    match state
        .app
        .idp_end_session(
            idp,
            q.id_token_hint.as_deref(),
            q.post_logout_redirect_uri.as_deref(),
            q.state.as_deref(),
        )
        .await
    {
        Some(url) => Redirect::to(&url).into_response(),
        None => {
            let body = format!(
                "<h1>{}</h1><p>{}</p>",
                esc(&format!("{} (test)", idp.display_name)),
                lang.t("Du er logget ut.", "You are logged out.")
            );
            page(lang, idp.display_name, true, &body)
        }
    }
}
