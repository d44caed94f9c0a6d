//! The embedded ID-porten and Ansattporten (local profile): discovery, keys, the log-in page,
//! PAR, token, userinfo and end-session endpoints.

use askama::Template;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::domain::Pid;
use crate::domain::grant::{GrantError, OAuthError};
use crate::http::AppState;
use crate::http::connections::ClientAddr;
use crate::http::html::{Frame, Lang, PageResult, render, texts};
use crate::http::idp::maskinporten::oauth_error;
use crate::http::idp::wire::{OidcDiscovery, ParResponse};
use crate::http::problem::OAuthErrorBody;
use crate::http::problem::Problem;
use crate::services::idp::{
    ANSATTPORTEN, AuthorizeError, AuthorizeParams, ClientCredentials, CodeTokenForm, IDPORTEN, Idp,
    IdpError, PendingLogin,
};
use crate::services::keys::JsonWebKeySet;
use crate::services::reference::Representative;

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
            // OIDC Core §5.3.1: userinfo by GET or POST.
            .route(
                &format!("/{p}/userinfo"),
                get(move |s: State<AppState>, h: HeaderMap| userinfo(s, h, idp))
                    .post(move |s: State<AppState>, h: HeaderMap| userinfo(s, h, idp)),
            )
            // RP-Initiated Logout §2: the parameters in the query (GET) or the form (POST).
            .route(
                &format!("/{p}/endsession"),
                get(
                    move |s: State<AppState>, l: Lang, Query(q): Query<EndSession>| {
                        end_session(s, l, q, idp)
                    },
                )
                .post(
                    move |s: State<AppState>, l: Lang, Form(q): Form<EndSession>| {
                        end_session(s, l, q, idp)
                    },
                ),
            );
    }
    router
}

texts! {
    pub struct IdpTexts {
        try_again: [
            "Gå tilbake til tjenesten og prøv igjen.",
            "Gå tilbake til tenesta og prøv igjen.",
            "Go back to the service and try again.",
        ],
        log_in: ["Logg inn", "Logg inn", "Log in"],
        log_in_with: ["Logg inn med", "Logg inn med", "Log in with"],
        logging_in_to: ["Du logger inn til", "Du loggar inn til", "You are logging in to"],
        level: ["Sikkerhetsnivå:", "Sikkerheitsnivå:", "Level of assurance:"],
        level_high: ["høyt", "høgt", "high"],
        level_substantial: ["betydelig", "betydeleg", "substantial"],
        choose_person: ["Velg en testperson", "Vel ein testperson", "Choose a test person"],
        or_enter: [
            "Eller skriv inn et syntetisk fødselsnummer",
            "Eller skriv inn eit syntetisk fødselsnummer",
            "Or enter a synthetic national identity number",
        ],
        pid_label: [
            "Fødselsnummer (11 siffer, syntetisk: måned + 80)",
            "Fødselsnummer (11 siffer, syntetisk: månad + 80)",
            "National identity number (11 digits, synthetic: month + 80)",
        ],
        invalid_pid: ["Ugyldig fødselsnummer", "Ugyldig fødselsnummer", "Invalid national identity number"],
        only_synthetic: [
            "Bare syntetiske fødselsnumre (måned + 80) kan logge inn her.",
            "Berre syntetiske fødselsnummer (månad + 80) kan logge inn her.",
            "Only synthetic national identity numbers (month + 80) can log in here.",
        ],
        login_expired: ["Innloggingen er utløpt.", "Innlogginga er gått ut.", "The log-in has expired."],
        logged_out: ["Du er logget ut.", "Du er logga ut.", "You are logged out."],
    }
}

/// The provider's own message page: its name as the heading, a sentence, and a hint onwards.
#[derive(Template)]
#[template(path = "idp/notice.html")]
struct Notice<'a> {
    f: Frame,
    idp_name: &'static str,
    text: &'a str,
    hint: Option<&'static str>,
}

/// The log-in page: choose a test person or type a synthetic national identity number.
#[derive(Template)]
#[template(path = "idp/login.html")]
struct LoginPage<'a> {
    f: Frame,
    t: &'static IdpTexts,
    idp_name: &'static str,
    path: &'static str,
    client_name: &'a str,
    level: &'static str,
    error: Option<&'a str>,
    request_id: &'a str,
    people: Vec<Representative>,
    login_hint: &'a str,
}

async fn discovery(
    State(state): State<AppState>,
    idp: Idp,
) -> Result<Json<OidcDiscovery>, Problem> {
    let alg = state
        .app
        .keys
        .current(idp.issuer)
        .map_err(|e| Problem::internal(&e))?
        .signing_key()
        .alg()
        .as_str();
    Ok(Json(OidcDiscovery::new(state.app.idp_issuer(idp), alg)))
}

async fn jwks(State(state): State<AppState>, idp: Idp) -> Result<Json<JsonWebKeySet>, Problem> {
    Ok(Json(
        state
            .app
            .keys
            .current(idp.issuer)
            .map_err(|e| Problem::internal(&e))?
            .jwks(),
    ))
}

fn error_page(
    state: &AppState,
    lang: Lang,
    idp: Idp,
    status: StatusCode,
    message: &str,
) -> Response {
    render(
        status,
        &Notice {
            f: Frame::new(state, lang, idp.display_name),
            idp_name: idp.display_name,
            text: message,
            hint: Some(IdpTexts::of(lang).try_again),
        },
    )
}

async fn authorize(
    State(state): State<AppState>,
    lang: Lang,
    ClientAddr(peer): ClientAddr,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
    idp: Idp,
) -> PageResult {
    let Query(params) = match query {
        Ok(q) => q,
        Err(e) => {
            return Ok(error_page(
                &state,
                lang,
                idp,
                StatusCode::BAD_REQUEST,
                &e.body_text(),
            ));
        }
    };
    let source = peer.to_string();
    match state.app.begin_authorize(idp, params, Some(&source)).await {
        Ok(pending) => login_page(&state, lang, idp, &pending, None, StatusCode::OK).await,
        Err(e) => Ok(authorize_error(&state, lang, idp, e)),
    }
}

fn authorize_error(state: &AppState, lang: Lang, idp: Idp, e: AuthorizeError) -> Response {
    match (e.redirect_url(&state.app.idp_issuer(idp)), e) {
        (Some(url), _) => Redirect::to(&url).into_response(),
        (None, AuthorizeError::Show(message)) => {
            error_page(state, lang, idp, StatusCode::BAD_REQUEST, &message)
        }
        (None, AuthorizeError::Redirect { description, .. }) => {
            error_page(state, lang, idp, StatusCode::BAD_REQUEST, &description)
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
) -> PageResult {
    let t = IdpTexts::of(lang);
    let level = if pending.acr == crate::services::idp::ACR_HIGH {
        t.level_high
    } else {
        t.level_substantial
    };
    let mut seen = std::collections::BTreeSet::new();
    let people = state
        .app
        .main_administrators(500)
        .await?
        .into_iter()
        .filter(|r| seen.insert(r.pid.clone()))
        .collect();
    Ok(render(
        status,
        &LoginPage {
            f: Frame::new(state, lang, &format!("{} – {}", t.log_in, idp.display_name))
                .with_errors(error.is_some()),
            t,
            idp_name: idp.display_name,
            path: idp.path,
            client_name: &pending.client_name,
            level,
            error,
            request_id: &pending.id,
            people,
            login_hint: pending.login_hint.as_deref().unwrap_or(""),
        },
    ))
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
) -> PageResult {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) => {
            return Ok(error_page(
                &state,
                lang,
                idp,
                StatusCode::BAD_REQUEST,
                &e.body_text(),
            ));
        }
    };
    let t = IdpTexts::of(lang);
    let chosen = form.pid.or(form.pid_custom).unwrap_or_default();
    let problem = match chosen.trim().parse::<Pid>() {
        Err(e) => Some(format!("{}: {e}", t.invalid_pid)),
        Ok(p) if !p.is_synthetic() => Some(t.only_synthetic.to_owned()),
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
            _ => Ok(error_page(
                &state,
                lang,
                idp,
                StatusCode::BAD_REQUEST,
                t.login_expired,
            )),
        };
    }
    match state
        .app
        .complete_login(idp, &form.request_id, &chosen)
        .await
    {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e) => Ok(authorize_error(&state, lang, idp, e)),
    }
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
                Json(OAuthErrorBody::new("server_error", "see the server log")),
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
        .authenticate_idp_client(
            idp,
            &form.credentials,
            crate::http::auth::basic_credentials(&headers),
        )
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
            Json(ParResponse {
                request_uri: &request_uri,
                expires_in,
            }),
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
        .idp_token(idp, &form, crate::http::auth::basic_credentials(&headers))
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
            Json(OAuthErrorBody::new("invalid_token", desc)),
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
    q: EndSession,
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
        None => render(
            StatusCode::OK,
            &Notice {
                f: Frame::new(&state, lang, idp.display_name),
                idp_name: idp.display_name,
                text: IdpTexts::of(lang).logged_out,
                hint: None,
            },
        ),
    }
}
