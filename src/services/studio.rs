//! Altinn Studio accounts (spec studio-accounts §2): sessions, sign-up through Ansattporten
//! with the registration form and captcha, linking an existing account, password log-in,
//! activation by e-mailed link (with the resend limit), argon2id password hashes and rate
//! limits.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, SaltString};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::App;
use super::load::{Busy, Load};
use crate::clock::Micros;
use crate::domain::activation;
use crate::domain::captcha::{self, Challenge};
use crate::domain::studio::{self, Email, Field, Problem, Username};
use crate::secret;
use crate::store::studio::{self as st, Account, NewUser, Session};
pub use crate::store::studio_account::Device;
use crate::store::throttle as st_throttle;
use crate::store::{StoreError, meta_get_or_create};

pub const ACCOUNT_COOKIE: &str = "i_like_gitea";
pub const DESIGNER_COOKIE: &str = "AltinnStudioDesigner";
pub const ACCOUNT_SESSION_SECS: i64 = 24 * 3600;
pub const DESIGNER_SESSION_SECS: i64 = 59 * 60;
pub const KIND_ACCOUNT: &str = "account";
pub const KIND_DESIGNER: &str = "designer";
/// Gitea's `MailResendLimit`: one activation mail per user per 3 minutes.
pub const RESEND_LIMIT_SECS: i64 = 180;
const CAPTCHA_LIFETIME_SECS: i64 = 600;
pub const ANSATTPORTEN_SOURCE: &str = "ansattporten";
/// Failed log-ins on one account from one source address, each within [`LOCKOUT_SECS`] of the
/// last, before attempts on it from there are refused for [`LOCKOUT_SECS`]. Other addresses
/// (the account's owner) are not locked out by someone else's guessing.
pub const ACCOUNT_FAILURES: i64 = 10;
/// Failed log-ins on one account from every address together before it is locked for all
/// (guessing spread over many addresses).
pub const ACCOUNT_ALL_SOURCES_FAILURES: i64 = 100;
/// The same for one source address (many accounts tried from one place).
pub const SOURCE_FAILURES: i64 = 50;
pub const LOCKOUT_SECS: i64 = 300;

/// An eID identity waiting to be linked to a Studio account (Gitea's `linkAccountGothUser`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingIdentity {
    pub source: String,
    pub sub: String,
    pub pid: String,
    pub name: String,
}

/// Studio's secrets, created on the first start and read once at start-up: the HMAC key of
/// activation codes and captchas, and the id and secret of the "Altinn Studio" client.
pub struct StudioSecrets {
    pub key: Vec<u8>,
    pub designer_client_id: String,
    pub designer_secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    #[error("{}", .1.message("en"))]
    Field(Field, Problem),
    /// Every field of a form that is wrong, in the form's order.
    #[error("{}", .0.iter().map(|(_, p)| p.message("en")).collect::<Vec<_>>().join(" "))]
    Fields(Vec<(Field, Problem)>),
    #[error("the captcha was not solved")]
    Captcha,
    #[error("the user name or password is incorrect")]
    Credentials,
    #[error("too many attempts; wait a minute and try again")]
    RateLimited,
    #[error("the server is busy checking passwords; try again in a moment")]
    Busy(#[from] Busy),
    #[error("could not hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the registration form carries.
pub struct Signup<'a> {
    pub user_name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub retype: &'a str,
    /// The proof-of-work answer (browsers with JavaScript) …
    pub captcha: &'a str,
    /// … or the image captcha's token and the typed answer (without JavaScript).
    pub captcha_token: &'a str,
    pub captcha_text: &'a str,
    pub ip: Option<&'a str>,
    pub agent: Option<&'a str>,
}

/// Counting limits per key in fixed one-minute windows (per instance), for sign-up and
/// resend; at most 100,000 keys of at most 64 bytes.
#[derive(Default)]
pub struct RateLimits {
    windows: Mutex<HashMap<String, (Micros, u32)>>,
}

impl RateLimits {
    /// Counts one attempt; false when `key` has used up `per_minute` in this minute.
    pub fn allow(&self, key: &str, per_minute: u32, now: Micros) -> bool {
        let Ok(mut map) = self.windows.lock() else {
            return true;
        };
        let window = now / 60_000_000;
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        // Keys are bounded: a long one (attacker-chosen text) is kept as its hash.
        let key = if key.len() > 64 {
            secret::hash(key)
        } else {
            key.to_owned()
        };
        let entry = map.entry(key).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }
}

pub(super) fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    if SystemRandom::new().fill(&mut b).is_err() {
        return secret::random_token();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn random_below(max: u64) -> u64 {
    let mut b = [0u8; 8];
    let _ = SystemRandom::new().fill(&mut b);
    u64::from_le_bytes(b) % (max + 1)
}

thread_local! {
    /// This thread's argon2 working memory (19 MiB with the default parameters), allocated on
    /// its first use and kept: allocating and freeing it per check left the allocator holding
    /// several copies per thread (230 MB after a dozen log-ins on two threads).
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// argon2 of `password` and `salt` into `out`, in this thread's reused working memory.
fn argon2_into(
    argon: &argon2::Argon2<'_>,
    params: &argon2::Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    ARGON2_MEMORY.with(|memory| {
        let mut blocks = memory.borrow_mut();
        if blocks.len() < params.block_count() {
            blocks.resize(params.block_count(), argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..])
    })
}

/// An argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> Result<String, StudioError> {
    let fail = |e: &dyn std::fmt::Display| StudioError::Hash(e.to_string());
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| StudioError::Hash("no randomness".into()))?;
    let params = argon2::Params::default();
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params.clone(),
    );
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, &params, password.as_bytes(), &salt, &mut out).map_err(|e| fail(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| fail(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(argon2::Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(&params).map_err(|e| fail(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(phc.to_string())
}

/// [`hash_password`] on a password thread, when the load gate gives it a turn.
pub(super) async fn hash_password_blocking(
    load: &Load,
    password: &str,
) -> Result<String, StudioError> {
    let password = password.to_owned();
    load.password_work(move || hash_password(&password)).await?
}

/// [`password_matches`] on a password thread, when the load gate gives it a turn.
async fn password_matches_blocking(
    load: &Load,
    password: &str,
    stored: &str,
) -> Result<bool, StudioError> {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    Ok(load
        .password_work(move || password_matches(&password, &stored))
        .await?)
}

/// Checks a password against a stored hash (false for an empty or unreadable hash), with the
/// hash's own algorithm, version and parameters.
pub fn password_matches(password: &str, stored: &str) -> bool {
    let check = || -> Option<bool> {
        let h = PasswordHash::new(stored).ok()?;
        let algorithm = argon2::Algorithm::try_from(h.algorithm).ok()?;
        let version = match h.version {
            Some(v) => argon2::Version::try_from(v).ok()?,
            None => argon2::Version::default(),
        };
        let params = argon2::Params::try_from(&h).ok()?;
        let expected = h.hash?;
        let mut salt = [0u8; 64];
        let salt = h.salt?.decode_b64(&mut salt).ok()?;
        let argon = argon2::Argon2::new(algorithm, version, params.clone());
        let mut out = vec![0u8; expected.len()];
        argon2_into(&argon, &params, password.as_bytes(), salt, &mut out).ok()?;
        // `Output`'s equality is constant-time.
        Some(argon2::password_hash::Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

impl App {
    /// Creates Studio's secrets on the first start; reads them afterwards.
    pub async fn studio_secrets(store: &crate::store::Store) -> Result<StudioSecrets, StoreError> {
        let mut tx = store.begin().await?;
        let key = meta_get_or_create(&mut tx, "studio-secret-key", || random_hex(32)).await?;
        let designer_client_id = meta_get_or_create(&mut tx, "studio-designer-client-id", || {
            uuid::Uuid::new_v4().to_string()
        })
        .await?;
        let designer_secret =
            meta_get_or_create(&mut tx, "studio-designer-secret", secret::random_token).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(StudioSecrets {
            key: key.into_bytes(),
            designer_client_id,
            designer_secret,
        })
    }

    /// Writes an audit entry in the caller's transaction.
    pub async fn audit_in(
        &self,
        conn: &mut crate::store::Conn,
        actor: &str,
        action: &str,
        target: &str,
        details: &Value,
    ) -> Result<(), StoreError> {
        let entry = crate::store::audit::AuditEntry {
            actor,
            action,
            target,
            details: details.clone(),
            trace_id: None,
        };
        crate::store::audit::record(conn, &entry, self.clock.now()).await
    }

    // ---- sessions -------------------------------------------------------------------------

    /// Starts a new session (a new id every time: sessions rotate at log-in and activation).
    pub async fn new_studio_session(
        &self,
        kind: &str,
        user_id: Option<i64>,
        data: Value,
        device: &Device,
    ) -> Result<(String, Session), StoreError> {
        let now = self.clock.now();
        let lifetime = match kind {
            KIND_DESIGNER => DESIGNER_SESSION_SECS,
            KIND_ACCOUNT => ACCOUNT_SESSION_SECS,
            // A log-in under way (the designer's code flow).
            _ => 600,
        };
        let id = secret::random_token();
        let mut data = data;
        // A session with a user is a log-in: when it happened (the ID token's auth_time).
        if user_id.is_some() && data.is_object() && data.get("auth_time").is_none() {
            data["auth_time"] = Value::from(now / 1_000_000);
        }
        let session = Session {
            kind: kind.to_owned(),
            user_id,
            data,
            csrf: secret::random_token(),
            expires_at: now + lifetime * 1_000_000,
        };
        self.store
            .insert_studio_session(&secret::hash(&id), &session, device, now)
            .await?;
        Ok((id, session))
    }

    pub async fn studio_session(
        &self,
        id: &str,
        kind: &str,
    ) -> Result<Option<Session>, StoreError> {
        self.store
            .studio_session(&secret::hash(id), kind, self.clock.now())
            .await
    }

    pub async fn set_studio_session_data(&self, id: &str, data: &Value) -> Result<(), StoreError> {
        self.store
            .update_studio_session_data(&secret::hash(id), data)
            .await
    }

    pub async fn end_studio_session(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete_studio_session(&secret::hash(id)).await
    }

    // ---- captcha --------------------------------------------------------------------------

    pub fn new_captcha(&self) -> Challenge {
        let expires = self.clock.now() / 1_000_000 + CAPTCHA_LIFETIME_SECS;
        let max = self.config.captcha_difficulty;
        captcha::create(
            &self.studio.key,
            &random_hex(12),
            random_below(max),
            max,
            expires,
        )
    }

    /// Checks a captcha answer and spends it (each challenge counts once).
    pub async fn spend_captcha(&self, payload: &str) -> Result<(), StudioError> {
        let now = self.clock.now();
        let solution = captcha::verify(&self.studio.key, payload, now / 1_000_000)
            .map_err(|_| StudioError::Captcha)?;
        self.spend_once(&solution.challenge).await
    }

    /// Remembers a solved challenge until it expires; one already spent is refused.
    async fn spend_once(&self, challenge: &str) -> Result<(), StudioError> {
        let expires = self.clock.now() + CAPTCHA_LIFETIME_SECS * 1_000_000;
        if self.store.use_captcha(challenge, expires).await? {
            Ok(())
        } else {
            Err(StudioError::Captcha)
        }
    }

    /// A new image captcha (the form's path without JavaScript).
    pub fn new_image_captcha(&self) -> crate::domain::image_captcha::Puzzle {
        let expires = self.clock.now() / 1_000_000 + CAPTCHA_LIFETIME_SECS;
        crate::domain::image_captcha::create(&self.studio.key, &random_hex(12), expires)
    }

    /// The image of a puzzle this server made and that has not expired (SVG).
    pub fn image_captcha_svg(&self, token: &str) -> Option<String> {
        let key = &self.studio.key;
        let (nonce, _) =
            crate::domain::image_captcha::open(key, token, self.clock.now() / 1_000_000).ok()?;
        Some(crate::domain::image_captcha::svg(key, &nonce))
    }

    /// Checks an image captcha's answer and spends the puzzle (each counts once).
    pub async fn spend_image_captcha(&self, token: &str, answer: &str) -> Result<(), StudioError> {
        let now = self.clock.now() / 1_000_000;
        let nonce = crate::domain::image_captcha::check(&self.studio.key, token, answer, now)
            .map_err(|_| StudioError::Captcha)?;
        self.spend_once(&format!("image:{nonce}")).await
    }

    // ---- sign-up, link, log-in ------------------------------------------------------------

    /// The Studio user linked to an eID identity, if any.
    pub async fn studio_user_for(
        &self,
        who: &PendingIdentity,
    ) -> Result<Option<Account>, StoreError> {
        self.store
            .studio_user_by_external(&who.source, &who.sub)
            .await
    }

    /// Every problem of the registration form at once (Gitea's checks: required fields and
    /// lengths, the captcha, the password rules, the name and e-mail formats, then whether they
    /// are free), or the name and e-mail to create. The captcha is spent whatever else is wrong:
    /// the page that reports the problems carries a new one.
    async fn checked_signup(&self, form: &Signup<'_>) -> Result<(Username, Email), StudioError> {
        let mut problems: Vec<(Field, Problem)> = Vec::new();
        let mut bound = |f: Field, v: &str, max: usize| {
            let p = if v.is_empty() {
                Some(Problem::Required)
            } else if v.chars().count() > max {
                Some(Problem::TooLong(max))
            } else {
                None
            };
            let ok = p.is_none();
            problems.extend(p.map(|p| (f, p)));
            ok
        };
        let name_bound = bound(Field::Username, form.user_name.trim(), studio::MAX_USERNAME);
        let email_bound = bound(Field::Email, form.email.trim(), studio::MAX_EMAIL);
        let password_bound = bound(Field::Password, form.password, studio::MAX_PASSWORD)
            & bound(Field::Retype, form.retype, studio::MAX_PASSWORD);
        let captcha = if form.captcha.is_empty() && !form.captcha_token.is_empty() {
            self.spend_image_captcha(form.captcha_token, form.captcha_text)
                .await
        } else {
            self.spend_captcha(form.captcha).await
        };
        match captcha {
            Ok(()) => {}
            Err(StudioError::Captcha) => problems.push((Field::Captcha, Problem::CaptchaIncorrect)),
            Err(e) => return Err(e),
        }
        if password_bound
            && let Err(p) =
                studio::check_password(form.password, form.retype, studio::DEFAULT_MIN_PASSWORD)
        {
            problems.push(p);
        }
        let mut name = None;
        if name_bound {
            match Username::parse(form.user_name) {
                Ok(n)
                    if self
                        .store
                        .studio_account_by_name(n.as_str())
                        .await?
                        .is_some() =>
                {
                    problems.push((Field::Username, Problem::UsernameTaken))
                }
                Ok(n) => name = Some(n),
                Err(p) => problems.push((Field::Username, p)),
            }
        }
        let mut email = None;
        if email_bound {
            match Email::parse(form.email) {
                Ok(e) if self.store.studio_user_by_email(e.as_str()).await?.is_some() => {
                    problems.push((Field::Email, Problem::EmailUsed))
                }
                Ok(e) => email = Some(e),
                Err(p) => problems.push((Field::Email, p)),
            }
        }
        // In the form's order, whatever order they were found in.
        problems.sort_by_key(|(f, _)| *f as u8);
        match (name, email) {
            (Some(n), Some(e)) if problems.is_empty() => Ok((n, e)),
            _ => Err(StudioError::Fields(problems)),
        }
    }

    /// The registration form (spec §2.4): checks in Gitea's order, creates the inactive user
    /// linked to the identity and sends the activation mail.
    pub async fn studio_signup(
        &self,
        who: &PendingIdentity,
        form: &Signup<'_>,
    ) -> Result<Account, StudioError> {
        let now = self.clock.now();
        if !self
            .limits
            .allow(&format!("signup:{}", form.ip.unwrap_or("-")), 30, now)
        {
            return Err(StudioError::RateLimited);
        }
        let (name, email) = self.checked_signup(form).await?;
        let passwd = hash_password_blocking(&self.load, form.password).await?;
        let rands = random_hex(16);
        let mut tx = self.store.begin().await?;
        let created = st::insert_user(
            &mut tx,
            &NewUser {
                name: name.as_str(),
                full_name: &who.name,
                email: email.as_str(),
                passwd: &passwd,
                rands: &rands,
                login_source: &who.source,
                login_name: &who.sub,
                signup_ip: form.ip,
                signup_agent: form.agent,
            },
            now,
        )
        .await;
        let id = match created {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                drop(tx);
                // Someone took the name or address between the checks and the insert.
                return if self
                    .store
                    .studio_account_by_name(name.as_str())
                    .await?
                    .is_some()
                {
                    Err(StudioError::Fields(vec![(
                        Field::Username,
                        Problem::UsernameTaken,
                    )]))
                } else {
                    Err(StudioError::Fields(vec![(
                        Field::Email,
                        Problem::EmailUsed,
                    )]))
                };
            }
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = st::link_external(
            &mut tx,
            &who.source,
            &who.sub,
            id,
            &secret::hash(&who.pid),
            now,
        )
        .await
        {
            if e.is_unique_violation() {
                // The identity was linked meanwhile (a second tab): keep the first account.
                return Err(StudioError::Credentials);
            }
            return Err(e.into());
        }
        self.audit_in(
            &mut tx,
            &format!("studio-user:{}", name.as_str()),
            "studio.user.created",
            &format!("studio-user:{}", name.as_str()),
            &json!({"user": name.as_str(), "source": who.source}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let account = self
            .store
            .studio_account(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the new user is gone".into()))?;
        tracing::info!(user = %account.name, "Studio account created (inactive)");
        self.send_activation_mail(&account).await?;
        Ok(account)
    }

    /// "Link an existing account": name and password of an account, then the identity is
    /// linked to it.
    pub async fn studio_link_existing(
        &self,
        who: &PendingIdentity,
        user_name: &str,
        password: &str,
        ip: Option<&str>,
    ) -> Result<Account, StudioError> {
        let user = self.studio_check_password(user_name, password, ip).await?;
        let mut tx = self.store.begin().await?;
        st::link_external(
            &mut tx,
            &who.source,
            &who.sub,
            user.id,
            &secret::hash(&who.pid),
            self.clock.now(),
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                StudioError::Credentials
            } else {
                e.into()
            }
        })?;
        self.audit_in(
            &mut tx,
            &format!("studio-user:{}", user.name),
            "studio.user.linked",
            &format!("studio-user:{}", user.name),
            &json!({"user": user.name, "source": who.source}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(user)
    }

    /// Checks a user name and password. Failures are counted in the database per account and
    /// source address together, per account and per source; after [`ACCOUNT_FAILURES`] failed
    /// attempts on an account from one address (or [`ACCOUNT_ALL_SOURCES_FAILURES`] on it from
    /// all, or [`SOURCE_FAILURES`] from one address on any) within [`LOCKOUT_SECS`] of each
    /// other, attempts are refused unchecked until [`LOCKOUT_SECS`] after the last failure —
    /// then the right password works again. Successful checks are never counted.
    pub async fn studio_check_password(
        &self,
        user_name: &str,
        password: &str,
        ip: Option<&str>,
    ) -> Result<Account, StudioError> {
        let now = self.clock.now();
        let lower = user_name.trim().to_lowercase();
        let account = secret::hash(&lower);
        let source = secret::hash(ip.unwrap_or("-"));
        let pair = account_from_source(&lower, ip);
        let window = LOCKOUT_SECS * 1_000_000;
        let locked = |f: Option<st_throttle::Failures>, max: i64| {
            f.is_some_and(|f| f.count >= max && now - f.last < window)
        };
        if locked(
            self.store.login_failures("account_source", &pair).await?,
            ACCOUNT_FAILURES,
        ) || locked(
            self.store.login_failures("account", &account).await?,
            ACCOUNT_ALL_SOURCES_FAILURES,
        ) || locked(
            self.store.login_failures("source", &source).await?,
            SOURCE_FAILURES,
        ) {
            return Err(StudioError::RateLimited);
        }
        let user = self.store.studio_account_by_name(&lower).await?;
        let ok = match &user {
            Some(u) if u.kind == st::KIND_USER => {
                password_matches_blocking(&self.load, password, &u.passwd).await?
            }
            // Spend the same time whether or not the user exists.
            _ => {
                password_matches_blocking(&self.load, password, &DUMMY_HASH).await?;
                false
            }
        };
        match user {
            Some(u) if ok => {
                self.store.clear_login_failures("account", &account).await?;
                self.store
                    .clear_login_failures("account_source", &pair)
                    .await?;
                Ok(u)
            }
            _ => {
                for (scope, subject) in [
                    ("account_source", &pair),
                    ("account", &account),
                    ("source", &source),
                ] {
                    self.store
                        .record_login_failure(scope, subject, now, now - window)
                        .await?;
                }
                Err(StudioError::Credentials)
            }
        }
    }

    /// Releases the user names and e-mail addresses of accounts whose activation expired
    /// (the jobs call this).
    pub async fn purge_unactivated_accounts(&self) -> Result<u64, StoreError> {
        let lifetime =
            i64::try_from(self.config.activation_lifetime.as_micros()).unwrap_or(i64::MAX);
        let n = self
            .store
            .purge_unactivated(self.clock.now().saturating_sub(lifetime))
            .await?;
        if n > 0 {
            tracing::info!(
                accounts = n,
                "unactivated Studio accounts removed; their names and addresses are free again"
            );
        }
        Ok(n)
    }

    // ---- activation -----------------------------------------------------------------------

    fn activation_subject<'a>(u: &'a Account) -> activation::Subject<'a> {
        activation::Subject {
            purpose: activation::Purpose::ActivateAccount,
            user_id: u.id,
            email: &u.email,
            name: &u.name,
            password_hash: &u.passwd,
            rands: &u.rands,
        }
    }

    /// Sends the activation mail unless one went out in the last 3 minutes; false then.
    pub async fn send_activation_mail(&self, u: &Account) -> Result<bool, StoreError> {
        let now = self.clock.now();
        if !self
            .store
            .claim_studio_mail(u.id, now, now - RESEND_LIMIT_SECS * 1_000_000)
            .await?
        {
            return Ok(false);
        }
        let minutes = u32::try_from(self.config.activation_lifetime.as_secs() / 60).unwrap_or(180);
        let code = activation::create(
            &self.studio.key,
            &Self::activation_subject(u),
            now / 1_000_000,
            minutes,
        );
        let link = self
            .config
            .url(&format!("/studio/user/activate?code={code}"));
        let lifetime = lifetime_text(minutes);
        let body = format!(
            "Hei {name},\n\n\
             takk for at du registrerte deg i Altinn Studio. Aktiver kontoen din ved å åpne denne lenken innen {nb}:\n\n\
             {link}\n\n\
             Kopier lenken inn i adressefeltet i nettleseren hvis den ikke kan åpnes direkte. \
             Er lenken utløpt, logger du inn på nytt med Ansattporten og ber om en ny.\n\n\
             ---\n\n\
             Hi {name},\n\n\
             thank you for registering with Altinn Studio. Activate your account by opening this link within {en}:\n\n\
             {link}\n\n\
             If the link has expired, log in again with Ansattporten and ask for a new one.\n",
            name = u.name,
            nb = lifetime.0,
            en = lifetime.1,
        );
        self.send_mail(
            &u.email,
            "Aktiver kontoen din i Altinn Studio / Please activate your account",
            &body,
        )
        .await?;
        Ok(true)
    }

    /// Activates the account a code is for. `None` for every unknown, tampered, expired or used
    /// code (the same answer for all).
    pub async fn studio_activate(&self, code: &str) -> Result<Option<Account>, StoreError> {
        let Some(name) = activation::user_name(code)
            .filter(|n| Username::parse(n).is_ok_and(|u| u.as_str() == n))
        else {
            return Ok(None);
        };
        let Some(user) = self.store.studio_account_by_name(&name).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if user.kind != st::KIND_USER
            || user.is_active
            || !activation::verify(
                &self.studio.key,
                code,
                &Self::activation_subject(&user),
                now / 1_000_000,
            )
        {
            return Ok(None);
        }
        if !self
            .store
            .activate_studio_user(user.id, &user.rands, &random_hex(16), now)
            .await?
        {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        self.audit_in(
            &mut tx,
            &format!("studio-user:{}", user.name),
            "studio.user.activated",
            &format!("studio-user:{}", user.name),
            &json!({"user": user.name}),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(user = %user.name, "Studio account activated");
        self.store.studio_account(user.id).await
    }

    /// Changes the address of an account that is not active yet, and sends a new link (unless
    /// the resend limit holds it back); returns the account and whether the mail went out.
    pub async fn studio_change_email(
        &self,
        u: &Account,
        email: &str,
    ) -> Result<(Account, bool), StudioError> {
        let email = Email::parse(email).map_err(|p| StudioError::Field(Field::Email, p))?;
        if let Some(other) = self.store.studio_user_by_email(email.as_str()).await?
            && other.id != u.id
        {
            return Err(StudioError::Field(Field::Email, Problem::EmailUsed));
        }
        self.store
            .set_studio_email(u.id, email.as_str(), &random_hex(16), self.clock.now())
            .await?;
        let updated = self
            .store
            .studio_account(u.id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the user is gone".into()))?;
        let sent = self.send_activation_mail(&updated).await?;
        Ok((updated, sent))
    }
}

/// The throttle's key for log-ins on one account (its lower-case name) from one address: a
/// hash of the two as a JSON array, so no name and address can stand for another pair.
pub(super) fn account_from_source(lower_name: &str, ip: Option<&str>) -> String {
    secret::hash(&serde_json::json!([lower_name, ip.unwrap_or("-")]).to_string())
}

/// A hash to check against when the user does not exist (the same work either way).
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no such user").unwrap_or_default());

/// "3 timer" / "3 hours" for whole hours, else minutes.
pub(super) fn lifetime_text(minutes: u32) -> (String, String) {
    if minutes.is_multiple_of(60) {
        let h = minutes / 60;
        (
            format!("{h} {}", if h == 1 { "time" } else { "timer" }),
            format!("{h} {}", if h == 1 { "hour" } else { "hours" }),
        )
    } else {
        (format!("{minutes} minutter"), format!("{minutes} minutes"))
    }
}

/// How long a password-reset link works, in words ("1 time" / "1 hour").
pub fn reset_lifetime_text(app: &App) -> (String, String) {
    lifetime_text(u32::try_from(app.config.reset_lifetime.as_secs() / 60).unwrap_or(60))
}

pub fn activation_lifetime_text(app: &App) -> (String, String) {
    lifetime_text(u32::try_from(app.config.activation_lifetime.as_secs() / 60).unwrap_or(180))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("Sterkt-Passord1").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(password_matches("Sterkt-Passord1", &h));
        assert!(!password_matches("sterkt-passord1", &h));
        assert!(!password_matches("x", ""));
        assert_ne!(h, hash_password("Sterkt-Passord1").expect("hash"), "salted");
    }

    #[test]
    fn hashes_are_those_of_the_argon2_crate_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Stored before the reused working memory: made by the crate's own API.
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let theirs = argon2::Argon2::default()
            .hash_password(b"Sterkt-Passord1", &salt)
            .expect("hash")
            .to_string();
        assert!(password_matches("Sterkt-Passord1", &theirs));
        assert!(!password_matches("Sterkt-Passord2", &theirs));
        let ours = hash_password("Sterkt-Passord1").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(
            argon2::Argon2::default()
                .verify_password(b"Sterkt-Passord1", &parsed)
                .is_ok()
        );
        // Other parameters in a stored hash are honoured (and the memory grows to them).
        let light = argon2::Params::new(8, 1, 1, None).expect("params");
        let other = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, light)
            .hash_password(b"pw", &salt)
            .expect("hash")
            .to_string();
        assert!(password_matches("pw", &other));
        assert!(!password_matches(
            "pw",
            "$argon2id$v=19$m=19456,t=2,p=1$garbage"
        ));
    }

    #[test]
    fn rate_limits_count_per_minute() {
        let l = RateLimits::default();
        for _ in 0..3 {
            assert!(l.allow("k", 3, 0));
        }
        assert!(!l.allow("k", 3, 1));
        assert!(l.allow("other", 3, 1));
        assert!(l.allow("k", 3, 60_000_000), "a new minute");
    }

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(lifetime_text(180), ("3 timer".into(), "3 hours".into()));
        assert_eq!(lifetime_text(60).1, "1 hour");
        assert_eq!(lifetime_text(90).0, "90 minutter");
    }
}
