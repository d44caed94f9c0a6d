//! What a Studio user does with their own account, as Gitea's user settings offer it: the
//! public profile, a new password (the current one asked again), a new e-mail address (taken
//! only when a link mailed to it is opened), a forgotten password (a mailed, expiring link that
//! works once), and their sessions, each of which they can end.
//!
//! Mailed links are the activation codes of [`activation`], each bound to its purpose, to the
//! account's current password hash and to its `rands`, which every change here rotates: a link
//! works once, and a password change kills every link mailed before it.

use serde_json::json;

use super::App;
use super::idp::percent_encode;
use super::studio::{
    RESEND_LIMIT_SECS, StudioError, account_from_source, hash_password_blocking, lifetime_text,
    random_hex,
};
use crate::domain::activation::{self, Purpose};
use crate::domain::studio::{self, Email, Field, Problem, Profile, Username};
use crate::secret;
use crate::store::StoreError;
use crate::store::studio::{self as st, Account};
pub use crate::store::studio_account::{LinkedIdentity, MAX_USER_AGENT, SessionInfo};

/// The subject of a notice that the account changed.
const CHANGED: &str = "Kontoen din i Altinn Studio er endret / Your account changed";

/// How many password-reset requests one address may make a minute (the mail itself goes out
/// at most every [`RESEND_LIMIT_SECS`] per account).
const FORGOT_PER_MINUTE: u32 = 10;

/// What opening a mailed link to confirm a new address came to.
#[derive(Debug)]
pub enum EmailConfirmation {
    /// The account has the new address now.
    Confirmed,
    /// The link is unknown, tampered with, expired or used.
    Invalid,
    /// Another account took the address meanwhile.
    Taken,
}

fn subject<'a>(purpose: Purpose, u: &'a Account, email: &'a str) -> activation::Subject<'a> {
    activation::Subject {
        purpose,
        user_id: u.id,
        email,
        name: &u.name,
        password_hash: &u.passwd,
        rands: &u.rands,
    }
}

impl App {
    /// How long a mailed link for `purpose` works, in minutes.
    fn link_minutes(&self, purpose: Purpose) -> u32 {
        let lifetime = match purpose {
            Purpose::ResetPassword => self.config.reset_lifetime,
            Purpose::ActivateAccount | Purpose::ConfirmEmail => self.config.activation_lifetime,
        };
        u32::try_from(lifetime.as_secs() / 60).unwrap_or(60)
    }

    fn mailed_code(&self, subject: &activation::Subject<'_>) -> String {
        activation::create(
            &self.studio.key,
            subject,
            self.clock.now() / 1_000_000,
            self.link_minutes(subject.purpose),
        )
    }

    /// The active user a mailed code names, if the code is well-formed (not yet verified).
    async fn account_of_code(&self, code: &str) -> Result<Option<Account>, StoreError> {
        let Some(name) = activation::user_name(code)
            .filter(|n| Username::parse(n).is_ok_and(|u| u.as_str() == n))
        else {
            return Ok(None);
        };
        Ok(self
            .store
            .studio_account_by_name(&name)
            .await?
            .filter(|u| u.kind == st::KIND_USER && u.is_active))
    }

    async fn audit_account(&self, u: &Account, action: &str) -> Result<(), StoreError> {
        let mut tx = self.store.begin().await?;
        let who = format!("studio-user:{}", u.name);
        self.audit_in(&mut tx, &who, action, &who, &json!({"user": u.name}))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// A notice to the account's address that something changed, with what to do if it was
    /// not them.
    async fn notify(&self, to: &str, u: &Account, nb: &str, en: &str) -> Result<(), StoreError> {
        self.notify_as(to, u, CHANGED, nb, en).await
    }

    /// [`App::notify`] with its own subject.
    async fn notify_as(
        &self,
        to: &str,
        u: &Account,
        subject: &str,
        nb: &str,
        en: &str,
    ) -> Result<(), StoreError> {
        let reset = self.config.url("/studio/user/forgot_password");
        let body = format!(
            "Hei {name},\n\n{nb}\n\nVar det ikke deg? Be om et nytt passord på {reset} og kontakt brukerstøtte.\n\n\
             ---\n\nHi {name},\n\n{en}\n\nWas it not you? Ask for a new password at {reset} and contact support.\n",
            name = u.name,
        );
        self.send_mail(to, subject, &body).await?;
        Ok(())
    }

    /// Saves the public profile; every wrong field is reported at once.
    pub async fn studio_update_profile(
        &self,
        u: &Account,
        full_name: &str,
        website: &str,
        location: &str,
        description: &str,
    ) -> Result<Account, StudioError> {
        let profile = Profile::parse(full_name, website, location, description)
            .map_err(StudioError::Fields)?;
        self.store
            .update_studio_profile(u.id, &profile, self.clock.now())
            .await?;
        self.store
            .studio_account(u.id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the user is gone".into()).into())
    }

    /// Checks the account's current password again (with the log-in's lockout); a wrong one
    /// is the form's `CurrentPassword` field.
    async fn recheck_password(
        &self,
        u: &Account,
        current: &str,
        ip: Option<&str>,
    ) -> Result<(), StudioError> {
        if current.is_empty() {
            return Err(StudioError::Field(
                Field::CurrentPassword,
                Problem::Required,
            ));
        }
        match self.studio_check_password(&u.name, current, ip).await {
            Ok(checked) if checked.id == u.id => Ok(()),
            Ok(_) | Err(StudioError::Credentials) => Err(StudioError::Field(
                Field::CurrentPassword,
                Problem::CurrentPasswordWrong,
            )),
            Err(e) => Err(e),
        }
    }

    /// A new password for a signed-in user who knows the current one. Every other session of
    /// the user ends (`current_session` is the id of the one in use), earlier mailed links die,
    /// and the account's address is told.
    pub async fn studio_change_password(
        &self,
        u: &Account,
        current: &str,
        password: &str,
        retype: &str,
        ip: Option<&str>,
        current_session: &str,
    ) -> Result<(), StudioError> {
        let mut problems = Vec::new();
        if let Err(p) = studio::check_password(password, retype, studio::DEFAULT_MIN_PASSWORD) {
            problems.push(p);
        }
        match self.recheck_password(u, current, ip).await {
            Ok(()) => {}
            Err(StudioError::Field(f, p)) => problems.insert(0, (f, p)),
            Err(e) => return Err(e),
        }
        if !problems.is_empty() {
            return Err(StudioError::Fields(problems));
        }
        self.set_password(u, password, Some(&secret::hash(current_session)), ip)
            .await?;
        self.audit_account(u, "studio.user.password_changed")
            .await?;
        self.notify(
            &u.email,
            u,
            "passordet til kontoen din i Altinn Studio er endret. Du er logget ut på alle andre enheter, og applikasjoner du har gitt tilgang, må be om den på nytt.",
            "the password of your Altinn Studio account was changed. You are logged out on every other device, and applications you gave access must ask for it again.",
        )
        .await?;
        Ok(())
    }

    /// Sets a password (rotating `rands`), ends the user's sessions but `keep` and every
    /// application's grant, and lifts the account's log-in lockout.
    async fn set_password(
        &self,
        u: &Account,
        password: &str,
        keep: Option<&str>,
        ip: Option<&str>,
    ) -> Result<(), StudioError> {
        let hash = hash_password_blocking(&self.load, password).await?;
        let Some(done) = self
            .store
            .set_studio_password(
                u.id,
                &u.rands,
                &hash,
                &random_hex(16),
                keep,
                self.clock.now(),
            )
            .await?
        else {
            // The account changed meanwhile (another tab, a link): ask again.
            return Err(StudioError::Credentials);
        };
        self.store
            .clear_login_failures("account", &secret::hash(&u.name.to_lowercase()))
            .await?;
        if let Some(ip) = ip {
            self.store
                .clear_login_failures(
                    "account_source",
                    &account_from_source(&u.name.to_lowercase(), Some(ip)),
                )
                .await?;
        }
        tracing::info!(
            user = %u.name,
            sessions_ended = done.sessions,
            grants_revoked = done.grants,
            "Studio password set"
        );
        Ok(())
    }

    /// Asks for a new address: checked, and the current password asked again; a link goes to
    /// the new address (unless the resend limit holds it back: false then). The account keeps
    /// its address until the link is opened.
    pub async fn studio_request_email_change(
        &self,
        u: &Account,
        email: &str,
        current: &str,
        ip: Option<&str>,
    ) -> Result<bool, StudioError> {
        // The password first: only its owner learns whether an address is taken.
        let format = Email::parse(email);
        let mut problems = Vec::new();
        if let Err(p) = &format {
            problems.push((Field::Email, p.clone()));
        }
        match self.recheck_password(u, current, ip).await {
            Ok(()) => {}
            Err(StudioError::Field(f, p)) => problems.push((f, p)),
            Err(e) => return Err(e),
        }
        let email = match format {
            Ok(e) if problems.is_empty() => e,
            _ => return Err(StudioError::Fields(problems)),
        };
        if email.as_str() == u.email.to_lowercase() {
            return Err(StudioError::Fields(vec![(
                Field::Email,
                Problem::EmailUnchanged,
            )]));
        }
        if let Some(other) = self.store.studio_user_by_email(email.as_str()).await?
            && other.id != u.id
        {
            return Err(StudioError::Fields(vec![(
                Field::Email,
                Problem::EmailUsed,
            )]));
        }
        let now = self.clock.now();
        if !self
            .store
            .claim_studio_mail(u.id, now, now - RESEND_LIMIT_SECS * 1_000_000)
            .await?
        {
            return Ok(false);
        }
        let code = self.mailed_code(&subject(Purpose::ConfirmEmail, u, email.as_str()));
        let link = self.config.url(&format!(
            "/studio/user/activate_email?code={code}&email={}",
            percent_encode(email.as_str())
        ));
        let (nb, en) = lifetime_text(self.link_minutes(Purpose::ConfirmEmail));
        let body = format!(
            "Hei {name},\n\n\
             du har bedt om å bruke denne adressen for kontoen din i Altinn Studio. Bekreft den ved å åpne lenken innen {nb}:\n\n\
             {link}\n\n\
             Har du ikke bedt om dette, kan du se bort fra e-posten.\n\n\
             ---\n\nHi {name},\n\n\
             you asked to use this address for your Altinn Studio account. Confirm it by opening the link within {en}:\n\n\
             {link}\n\n\
             If you did not ask for this, ignore this mail.\n",
            name = u.name,
        );
        self.send_mail(
            email.as_str(),
            "Bekreft e-postadressen din i Altinn Studio / Confirm your e-mail address",
            &body,
        )
        .await?;
        // A heads-up to the address in use, while nothing has changed yet.
        self.notify_as(
            &u.email,
            u,
            "Ny e-postadresse for kontoen din i Altinn Studio? / A new address for your account?",
            &format!(
                "noen har bedt om å flytte kontoen din i Altinn Studio til e-postadressen {}. Adressen byttes først når lenken som er sendt dit, blir bekreftet.",
                email.as_str()
            ),
            &format!(
                "someone asked to move your Altinn Studio account to the e-mail address {}. The address changes only when the link sent there is confirmed.",
                email.as_str()
            ),
        )
        .await?;
        Ok(true)
    }

    /// The account a link mailed to confirm the address `email` is for, while the link works
    /// (opening it changes nothing: mail scanners open links).
    pub async fn studio_email_link(
        &self,
        code: &str,
        email: &str,
    ) -> Result<Option<(Account, Email)>, StoreError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let Some(u) = self.account_of_code(code).await? else {
            return Ok(None);
        };
        let ok = activation::verify(
            &self.studio.key,
            code,
            &subject(Purpose::ConfirmEmail, &u, email.as_str()),
            self.clock.now() / 1_000_000,
        );
        Ok(ok.then_some((u, email)))
    }

    /// Confirms a new address with the mailed link (the person pressed the button on the page
    /// the link opens): the account takes it, once, and the old address is told.
    pub async fn studio_confirm_email(
        &self,
        code: &str,
        email: &str,
    ) -> Result<EmailConfirmation, StoreError> {
        let Some((u, email)) = self.studio_email_link(code, email).await? else {
            return Ok(EmailConfirmation::Invalid);
        };
        let now = self.clock.now();
        match self
            .store
            .confirm_studio_email(u.id, &u.rands, email.as_str(), &random_hex(16), now)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Ok(EmailConfirmation::Invalid),
            Err(e) if e.is_unique_violation() => return Ok(EmailConfirmation::Taken),
            Err(e) => return Err(e),
        }
        self.audit_account(&u, "studio.user.email_changed").await?;
        tracing::info!(user = %u.name, "Studio account has a new e-mail address");
        self.notify(
            &u.email,
            &u,
            &format!(
                "kontoen din i Altinn Studio bruker nå e-postadressen {}.",
                email.as_str()
            ),
            &format!(
                "your Altinn Studio account now uses the e-mail address {}.",
                email.as_str()
            ),
        )
        .await?;
        Ok(EmailConfirmation::Confirmed)
    }

    /// "Forgot password": a link to set a new one goes to the address of the active account
    /// with this e-mail address or user name. The answer is the same whether or not there is
    /// such an account (nobody learns who has one here).
    pub async fn studio_forgot_password(
        &self,
        who: &str,
        ip: Option<&str>,
    ) -> Result<(), StudioError> {
        let now = self.clock.now();
        let who = who.trim();
        if who.is_empty() {
            return Err(StudioError::Field(Field::Email, Problem::Required));
        }
        if who.chars().count() > studio::MAX_EMAIL {
            return Err(StudioError::Field(
                Field::Email,
                Problem::TooLong(studio::MAX_EMAIL),
            ));
        }
        if !self.limits.allow(
            &format!("forgot:{}", secret::hash(ip.unwrap_or("-"))),
            FORGOT_PER_MINUTE,
            now,
        ) {
            return Err(StudioError::RateLimited);
        }
        let name = self.studio_login_name(who).await?;
        let Some(u) = self
            .store
            .studio_account_by_name(&name.to_lowercase())
            .await?
            .filter(|u| u.kind == st::KIND_USER && u.is_active && !u.email.is_empty())
        else {
            tracing::info!("password reset asked for an unknown or inactive account");
            return Ok(());
        };
        // The mail goes out after the answer, so that the answer takes as long whether or not
        // the account exists.
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.mail_reset_link(&u).await {
                tracing::error!(error = %e, user = %u.name, "the password-reset mail could not be queued");
            }
        });
        Ok(())
    }

    /// Mails a password-reset link to the account's address, unless a reset mail went to it in
    /// the last [`RESEND_LIMIT_SECS`] (a pause of its own: someone asking for resets for a
    /// person does not hold back that person's other mails).
    async fn mail_reset_link(&self, u: &Account) -> Result<(), StoreError> {
        let now = self.clock.now();
        if !self
            .store
            .claim_studio_reset_mail(u.id, now, now - RESEND_LIMIT_SECS * 1_000_000)
            .await?
        {
            return Ok(());
        }
        let code = self.mailed_code(&subject(Purpose::ResetPassword, u, &u.email));
        let link = self
            .config
            .url(&format!("/studio/user/recover_account?code={code}"));
        let (nb, en) = lifetime_text(self.link_minutes(Purpose::ResetPassword));
        let body = format!(
            "Hei {name},\n\n\
             noen (forhåpentligvis du) har bedt om et nytt passord for kontoen din i Altinn Studio. Velg et nytt ved å åpne lenken innen {nb}; den virker én gang:\n\n\
             {link}\n\n\
             Har du ikke bedt om dette, kan du se bort fra e-posten: passordet ditt er ikke endret.\n\n\
             ---\n\nHi {name},\n\n\
             someone (hopefully you) asked for a new password for your Altinn Studio account. Choose one by opening the link within {en}; it works once:\n\n\
             {link}\n\n\
             If you did not ask for this, ignore this mail: your password has not changed.\n",
            name = u.name,
        );
        self.send_mail(
            &u.email,
            "Nytt passord i Altinn Studio / Reset your password",
            &body,
        )
        .await?;
        self.audit_account(u, "studio.user.password_reset_mailed")
            .await?;
        Ok(())
    }

    /// The account a password-reset link is for, while the link works.
    pub async fn studio_reset_account(&self, code: &str) -> Result<Option<Account>, StoreError> {
        let Some(u) = self.account_of_code(code).await? else {
            return Ok(None);
        };
        let ok = activation::verify(
            &self.studio.key,
            code,
            &subject(Purpose::ResetPassword, &u, &u.email),
            self.clock.now() / 1_000_000,
        );
        Ok(ok.then_some(u))
    }

    /// Sets the new password a reset link was opened for: the link dies with it, every session
    /// of the account ends, and the address is told. `Ok(None)` when the link no longer works.
    pub async fn studio_reset_password(
        &self,
        code: &str,
        password: &str,
        retype: &str,
        ip: Option<&str>,
    ) -> Result<Option<Account>, StudioError> {
        let Some(u) = self.studio_reset_account(code).await? else {
            return Ok(None);
        };
        studio::check_password(password, retype, studio::DEFAULT_MIN_PASSWORD)
            .map_err(|(f, p)| StudioError::Fields(vec![(f, p)]))?;
        match self.set_password(&u, password, None, ip).await {
            Ok(()) => {}
            Err(StudioError::Credentials) => return Ok(None),
            Err(e) => return Err(e),
        }
        self.audit_account(&u, "studio.user.password_reset").await?;
        self.notify(
            &u.email,
            &u,
            "passordet til kontoen din i Altinn Studio er satt på nytt med en lenke fra e-post. Du er logget ut overalt, og applikasjoner du har gitt tilgang, må be om den på nytt.",
            "the password of your Altinn Studio account was reset with a mailed link. You are logged out everywhere, and applications you gave access must ask for it again.",
        )
        .await?;
        Ok(self.store.studio_account(u.id).await?)
    }

    /// The eID identities that log in to the account without its password.
    pub async fn studio_identities_of(
        &self,
        user_id: i64,
    ) -> Result<Vec<LinkedIdentity>, StoreError> {
        self.store.studio_identities_of(user_id).await
    }

    /// Unlinks one of the user's eID identities (someone who linked their own would otherwise
    /// keep logging in after a reset); false when it is not theirs or gone. The next log-in
    /// with it asks to link an account again.
    pub async fn studio_unlink_identity(
        &self,
        u: &Account,
        source: &str,
        external_id: &str,
    ) -> Result<bool, StoreError> {
        let unlinked = self
            .store
            .delete_studio_identity(u.id, source, external_id)
            .await?;
        if unlinked {
            self.audit_account(u, "studio.user.identity_unlinked")
                .await?;
        }
        Ok(unlinked)
    }

    /// The user's live sessions, the newest first.
    pub async fn studio_sessions_of(&self, user_id: i64) -> Result<Vec<SessionInfo>, StoreError> {
        self.store
            .studio_sessions_of(user_id, self.clock.now())
            .await
    }

    /// Ends one of the user's sessions, named by its hash; false when it is not theirs or gone.
    pub async fn studio_end_session_of(
        &self,
        u: &Account,
        id_hash: &str,
    ) -> Result<bool, StoreError> {
        let ended = self.store.delete_studio_session_of(u.id, id_hash).await?;
        if ended {
            self.audit_account(u, "studio.session.ended").await?;
        }
        Ok(ended)
    }

    /// Ends every session of the user but the one with id `current`; returns how many ended.
    pub async fn studio_end_other_sessions(
        &self,
        u: &Account,
        current: &str,
    ) -> Result<u64, StoreError> {
        let ended = self
            .store
            .delete_studio_sessions_but(u.id, Some(&secret::hash(current)))
            .await?;
        if ended > 0 {
            self.audit_account(u, "studio.session.ended_others").await?;
        }
        Ok(ended)
    }
}
