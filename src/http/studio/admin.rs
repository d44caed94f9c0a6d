//! The operator's Studio pages under `/admin/studio`: create an organisation (short name, full
//! name, org number, service owner or not) with its first administrator, see every
//! organisation, and decide the users' requests for organisations.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::http::AppState;
use crate::http::html::{Lang, esc};
use crate::http::login::MaybeSession;
use crate::http::studio::accounts::{expired_form, form_field, message, server_error, studio_page};
use crate::secret;
use crate::services::studio_orgs::{Actor, NewOrgInput, OrgError};
use crate::store::oidc::WebSession;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/studio", get(studio_admin_page))
        .route("/admin/studio/orgs", post(create_org))
        .route("/admin/studio/requests/{id}", post(decide))
}

/// The operator behind the session (a main administrator of `operator-org`), or the page
/// that says why not.
#[allow(clippy::result_large_err)]
async fn operator(
    state: &AppState,
    lang: Lang,
    session: Option<(String, WebSession)>,
) -> Result<WebSession, Response> {
    let Some((_, s)) = session else {
        return Err(Redirect::to("/auth/login/idporten?goto=/admin/studio").into_response());
    };
    let allowed = state.app.is_operator(&s.pid).await;
    if allowed {
        Ok(s)
    } else {
        Err(message(
            state,
            lang,
            StatusCode::FORBIDDEN,
            lang.t("Ikke tilgang", "No access"),
            lang.t(
                "Operatørsidene er for daglig leder, styreleder eller innehaver i plattformoperatørens organisasjon (innstillingen operator-org).",
                "The operator pages are for the daglig leder, styreleder or innehaver of the platform operator's organisation (the operator-org setting).",
            ),
            None,
        ))
    }
}

fn operator_name(s: &WebSession) -> String {
    format!("operator:{}", s.name)
}

async fn render(
    state: &AppState,
    lang: Lang,
    s: &WebSession,
    f: &HashMap<String, String>,
    flash: Option<(&str, bool)>,
) -> Response {
    let overview = match state.app.operator_overview().await {
        Ok(o) => o,
        Err(e) => return server_error(state, lang, &e),
    };
    let requests = &overview.requests;
    let flash = flash
        .map(|(t, ok)| {
            format!(
                "<p id=\"flash\" class=\"{}\" role=\"{}\">{}</p>",
                if ok { "" } else { "error" },
                if ok { "status" } else { "alert" },
                esc(t)
            )
        })
        .unwrap_or_default();
    let csrf = esc(&s.csrf);
    let checked = if form_field(f, "service_owner") == "on" {
        " checked"
    } else {
        ""
    };
    let mut body = format!(
        "<h1>{}</h1>{flash}<h2>{}</h2><form method=\"post\" action=\"/admin/studio/orgs\" id=\"create-org\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p><label for=\"name\">{}</label><br><input id=\"name\" name=\"name\" value=\"{}\" maxlength=\"40\" required></p>\
         <p><label for=\"full_name\">{}</label><br><input id=\"full_name\" name=\"full_name\" value=\"{}\" required></p>\
         <p><label for=\"org_number\">{}</label><br><input id=\"org_number\" name=\"org_number\" value=\"{}\" inputmode=\"numeric\" maxlength=\"9\"></p>\
         <p><label><input type=\"checkbox\" id=\"service_owner\" name=\"service_owner\"{checked}> {}</label></p>\
         <p><label for=\"admin\">{}</label><br><input id=\"admin\" name=\"admin\" value=\"{}\" required></p>\
         <p><button type=\"submit\" id=\"create\">{}</button></p></form>",
        lang.t(
            "Altinn Studio: organisasjoner",
            "Altinn Studio: organisations"
        ),
        lang.t("Opprett organisasjon", "Create organisation"),
        lang.t("Kortnavn (f.eks. ttd)", "Short name (e.g. ttd)"),
        esc(form_field(f, "name")),
        lang.t("Fullt navn", "Full name"),
        esc(form_field(f, "full_name")),
        lang.t("Organisasjonsnummer", "Organisation number"),
        esc(form_field(f, "org_number")),
        lang.t(
            "Tjenesteeier (får miljøene tt02 og production)",
            "Service owner (gets the environments tt02 and production)"
        ),
        lang.t(
            "Første administrator (brukernavn i Altinn Studio)",
            "First administrator (Altinn Studio user name)"
        ),
        esc(form_field(f, "admin")),
        lang.t("Opprett", "Create"),
    );
    body.push_str(&format!("<h2>{}</h2>", lang.t("Forespørsler", "Requests")));
    if requests.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\" id=\"no-requests\">{}</p>",
            lang.t("Ingen forespørsler.", "No requests.")
        ));
    } else {
        body.push_str("<table id=\"requests\"><tbody>");
        for r in requests {
            let actions = if r.status == "pending" {
                format!(
                    "<form method=\"post\" action=\"/admin/studio/requests/{id}\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button name=\"decision\" value=\"approve\">{}</button></form> \
                     <form method=\"post\" action=\"/admin/studio/requests/{id}\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input name=\"reason\" aria-label=\"{}\" placeholder=\"{}\"><button name=\"decision\" value=\"decline\">{}</button></form>",
                    lang.t("Godkjenn", "Approve"),
                    lang.t("Begrunnelse", "Reason"),
                    lang.t("Begrunnelse", "Reason"),
                    lang.t("Avslå", "Decline"),
                    id = esc(&r.id),
                )
            } else {
                esc(&r.status)
            };
            body.push_str(&format!(
                "<tr><td><strong>{}</strong> – {}<br><span class=\"muted\">{} {} · {} {} · {} {}{}</span></td><td>{actions}</td></tr>",
                esc(&r.short_name), esc(&r.full_name),
                lang.t("fra", "from"), esc(&r.requester_name),
                lang.t("administrator", "administrator"), esc(&r.admin_name),
                lang.t("org.nr.", "org. no."), esc(&r.org_number),
                if r.service_owner { lang.t(" · tjenesteeier", " · service owner") } else { "" },
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str(&format!(
        "<h2>{}</h2><ul id=\"orgs\">",
        lang.t("Organisasjoner", "Organisations")
    ));
    for (o, envs) in &overview.orgs {
        body.push_str(&format!(
            "<li><strong>{}</strong> {} <span class=\"muted\">{}</span></li>",
            esc(&o.name),
            esc(&o.full_name),
            esc(&if envs.is_empty() {
                lang.t("ingen miljøer", "no environments").to_owned()
            } else {
                envs.join(", ")
            }),
        ));
    }
    body.push_str("</ul><p><a href=\"/admin/\">");
    body.push_str(lang.t("Til operatørsiden", "To the operator page"));
    body.push_str("</a></p>");
    studio_page(state, lang, StatusCode::OK, "Altinn Studio", &body)
}

async fn studio_admin_page(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
) -> Response {
    match operator(&state, lang, session).await {
        Ok(s) => render(&state, lang, &s, &HashMap::new(), None).await,
        Err(r) => r,
    }
}

fn checked_csrf(s: &WebSession, f: &HashMap<String, String>) -> bool {
    secret::constant_time_eq(form_field(f, "csrf"), &s.csrf)
}

async fn create_org(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let s = match operator(&state, lang, session).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if !checked_csrf(&s, &f) {
        return expired_form(&state, lang, Some(("/admin/studio", "Altinn Studio")));
    }
    let input = NewOrgInput {
        name: form_field(&f, "name"),
        full_name: form_field(&f, "full_name"),
        org_number: form_field(&f, "org_number"),
        service_owner: form_field(&f, "service_owner") == "on",
        admin: form_field(&f, "admin"),
    };
    match state
        .app
        .studio_create_org(&Actor::Operator(operator_name(&s)), &input)
        .await
    {
        Ok(o) => {
            let text = if lang == Lang::En {
                format!("The organisation {} has been created.", o.name)
            } else {
                format!("Organisasjonen {} er opprettet.", o.name)
            };
            render(&state, lang, &s, &HashMap::new(), Some((&text, true))).await
        }
        Err(OrgError::Store(e)) => server_error(&state, lang, &e),
        Err(e) => {
            let text = if lang == Lang::En {
                e.to_string()
            } else {
                e.message_nb()
            };
            let mut r = render(&state, lang, &s, &f, Some((&text, false))).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let s = match operator(&state, lang, session).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if !checked_csrf(&s, &f) {
        return expired_form(&state, lang, Some(("/admin/studio", "Altinn Studio")));
    }
    let approve = form_field(&f, "decision") == "approve";
    match state
        .app
        .studio_decide_org_request(&operator_name(&s), &id, approve, form_field(&f, "reason"))
        .await
    {
        Ok(r) => {
            let text = match (approve, lang) {
                (true, Lang::En) => format!("{} was approved and created.", r.short_name),
                (true, _) => format!("{} er godkjent og opprettet.", r.short_name),
                (false, Lang::En) => format!("{} was declined.", r.short_name),
                (false, _) => format!("{} er avslått.", r.short_name),
            };
            render(&state, lang, &s, &HashMap::new(), Some((&text, true))).await
        }
        Err(OrgError::Store(e)) => server_error(&state, lang, &e),
        Err(e) => {
            let text = if lang == Lang::En {
                e.to_string()
            } else {
                e.message_nb()
            };
            render(&state, lang, &s, &HashMap::new(), Some((&text, false))).await
        }
    }
}
