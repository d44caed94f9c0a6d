//! Studio's OAuth2/OIDC endpoints (spec studio-accounts §2.6): authorize with the consent page,
//! grant, token, userinfo, keys, discovery; and the Altinn Studio application's side of it
//! (`/studio/login`, `/studio/signin-oidc`, `/studio/logout`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::http::AppState;
use crate::http::html::{Frame, Lang, Link, message, private, render, texts};
use crate::http::problem::OAuthErrorBody;
use crate::http::problem::Problem;
use crate::http::studio::accounts::{MaybeAccount, inactive_page, server_error};
use crate::http::studio::gitea_wire::StudioDiscovery;
use crate::secret;
use crate::services::keys::{IssuerName, JsonWebKeySet};
use crate::services::studio_oauth::{Authorize, AuthorizeParams, with_query};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/studio/login/oauth/authorize", get(authorize))
        .route("/studio/login/oauth/grant", post(grant))
        .route("/studio/login/oauth/access_token", post(access_token))
        .route("/studio/login/oauth/revoke", post(revoke))
        .route("/studio/login/oauth/introspect", post(introspect))
        .route("/studio/login/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/studio/login/oauth/keys", get(keys))
        .route("/studio/.well-known/openid-configuration", get(discovery))
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
        registered_by_user: [
            "Applikasjonen er registrert av Studio-brukeren",
            "Applikasjonen er registrert av Studio-brukaren",
            "This application was registered by the Studio user",
        ],
        asks_for: ["Applikasjonen ber om:", "Applikasjonen ber om:", "The application asks for:"],
        scope_openid: ["å vite hvem du er (brukernummeret ditt)", "å vite kven du er (brukarnummeret ditt)", "who you are (your user number)"],
        scope_profile: ["navnet og brukernavnet ditt", "namnet og brukarnamnet ditt", "your name and user name"],
        scope_email: ["e-postadressen din", "e-postadressa di", "your e-mail address"],
        scope_groups: ["organisasjonene og teamene dine", "organisasjonane og teama dine", "your organisations and teams"],
        scope_read: ["å lese", "å lese", "to read"],
        scope_write: ["å lese og endre", "å lese og endre", "to read and change"],
        authorization_failed: ["Autorisering feilet", "Autoriseringa feila", "Authorization failed"],
        form_expired: ["Skjemaet er utløpt", "Skjemaet har gått ut", "The form has expired"],
        start_again: ["Start innloggingen på nytt.", "Start innlogginga på nytt.", "Start the log-in again."],
        log_in: ["Logg inn", "Logg inn", "Log in"],
        relogin: ["Logg inn på nytt", "Logg inn på nytt", "Log in again"],
        relogin_text: [
            "Applikasjonen ber om at du logger inn på nytt før den får tilgang.",
            "Applikasjonen ber om at du loggar inn på nytt før han får tilgang.",
            "The application asks you to log in again before it gets access.",
        ],
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

/// `prompt=login` or an expired `max_age`: the person logs in again by a form (a link alone
/// logs nobody out).
#[derive(Template)]
#[template(path = "studio/relogin.html")]
struct ReloginPage<'a> {
    f: Frame,
    t: &'static OauthTexts,
    csrf: &'a str,
    to: &'a str,
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
    /// What each scope asked for gives, in words.
    scopes: Vec<String>,
    /// The Studio user who registered the application; `None`: the platform operator.
    owner: Option<String>,
    /// The authorization request, posted back with the answer.
    hidden: [(&'static str, &'a str); 5],
}

/// A scope in the person's words; Gitea's `read:<category>`/`write:<category>` name the
/// category.
fn scope_words(t: &OauthTexts, scope: &str) -> String {
    match scope {
        "openid" => t.scope_openid.to_owned(),
        "profile" => t.scope_profile.to_owned(),
        "email" => t.scope_email.to_owned(),
        "groups" => t.scope_groups.to_owned(),
        other => match other.split_once(':') {
            Some(("read", category)) => format!("{} {category}", t.scope_read),
            Some(("write", category)) => format!("{} {category}", t.scope_write),
            _ => other.to_owned(),
        },
    }
}

/// A Studio message page (no-store, like every Studio page).
pub(super) fn note(
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
    // After a log-in the request comes back without `prompt=login` and `max_age` (the new
    // log-in satisfies both), or it would ask forever; `consent` stays asked for.
    let mut again: Vec<(&str, &str)> = [
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("response_type", &p.response_type),
        ("scope", &p.scope),
        ("state", &p.state),
        ("nonce", &p.nonce),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect();
    if p.prompts("consent") {
        again.push(("prompt", "consent"));
    }
    let here = with_query("/studio/login/oauth/authorize", &again);
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
        // A fresh log-in, asked for on a form that ends this session first.
        let to = with_query("/studio/user/login", &[("redirect_to", &here)]);
        let t = OauthTexts::of(lang);
        return private(render(
            StatusCode::OK,
            &ReloginPage {
                f: Frame::new(&state, lang, t.relogin),
                t,
                csrf: &s.session.csrf,
                to: &to,
            },
        ));
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
    let owner = match app.owner_id {
        None => None,
        Some(id) => match state.app.studio_account_by_id(id).await {
            Ok(a) => Some(a.map_or_else(|| id.to_string(), |a| a.name)),
            Err(e) => return server_error(&state, lang, &e),
        },
    };
    let scopes = p
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(|s| scope_words(t, s))
        .collect();
    private(render(
        StatusCode::OK,
        &ConsentPage {
            f: Frame::new(&state, lang, t.authorize_title),
            t,
            app: &app.name,
            user: &user.name,
            redirect: p.redirect_uri.as_deref().unwrap_or(""),
            csrf: &s.session.csrf,
            scopes,
            owner,
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

/// A form to the token, revocation or introspection endpoint, with the client's Basic
/// credentials when it sent them; a body that is not a form is `invalid_request`.
struct ClientForm(HashMap<String, String>, Option<(String, String)>);

impl FromRequest<AppState> for ClientForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let basic = crate::http::auth::basic_credentials(req.headers());
        match Form::<HashMap<String, String>>::from_request(req, state).await {
            Ok(Form(f)) => Ok(ClientForm(f, basic)),
            Err(_) => Err(crate::http::problem::token_error(
                "invalid_request",
                "send application/x-www-form-urlencoded",
            )),
        }
    }
}

async fn access_token(State(state): State<AppState>, ClientForm(f, basic): ClientForm) -> Response {
    match state.app.studio_token(&f, basic).await {
        Ok(body) => ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(e) => token_failure(e),
    }
}

/// RFC 7009: 200 with an empty body whether or not the token was known.
async fn revoke(State(state): State<AppState>, ClientForm(f, basic): ClientForm) -> Response {
    match state.app.studio_revoke(&f, basic).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => token_failure(e),
    }
}

/// RFC 7662: `{"active": false}` for a token that is not the client's or not live.
async fn introspect(State(state): State<AppState>, ClientForm(f, basic): ClientForm) -> Response {
    match state.app.studio_introspect(&f, basic).await {
        Ok(body) => ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(e) => token_failure(e),
    }
}

/// A refusal of the token, revocation or introspection endpoint.
fn token_failure(e: crate::services::studio_oauth::TokenError) -> Response {
    if e.status >= 500 {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CACHE_CONTROL, "no-store")],
            Json(OAuthErrorBody::new(e.error, &e.description)),
        )
            .into_response();
    }
    crate::http::problem::token_error(e.error, &e.description)
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
