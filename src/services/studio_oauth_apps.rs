//! OAuth2 applications Studio users register themselves, as Gitea's
//! `/user/applications/oauth2` offers: a name, redirect URIs and whether the client keeps a
//! secret. The secret is shown once (on creation and on change) and stored hashed.

use uuid::Uuid;

use super::App;
use crate::secret;
use crate::services::studio_directory::Account;
use crate::store::StoreError;
pub use crate::store::studio_oauth::UserApp;
use crate::store::studio_oauth::UserAppSpec;

/// At most this many applications per user.
pub const MAX_APPS_PER_USER: i64 = 50;

/// What Gitea's `CreateOAuth2ApplicationOptions` holds.
#[derive(Debug, serde::Deserialize)]
pub struct AppInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Gitea's default is a public client (PKCE, no secret at the token endpoint).
    #[serde(default)]
    pub confidential_client: bool,
    /// Accepted for Gitea's clients; consent is always asked.
    #[serde(default)]
    pub skip_secondary_authorization: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(String),
    #[error("you may have at most {MAX_APPS_PER_USER} OAuth2 applications; delete one first")]
    TooMany,
    #[error("the application does not exist")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A redirect URI: http or https with a host, or a private-use scheme in reverse-domain form
/// for native apps (RFC 8252 §7.1); no fragment, no spaces.
fn redirect_ok(u: &str) -> bool {
    if u.len() > 2000 || u.contains('#') || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match u.split_once(':') {
        Some(("http" | "https", rest)) => rest
            .strip_prefix("//")
            .is_some_and(|r| !r.is_empty() && !r.starts_with('/')),
        Some((scheme, rest)) => {
            scheme.contains('.')
                && !rest.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        }
        None => false,
    }
}

fn checked(input: &AppInput) -> Result<(), AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(AppError::Invalid(
            "name is required: 1 to 255 characters".into(),
        ));
    }
    if input.redirect_uris.is_empty() || input.redirect_uris.len() > 20 {
        return Err(AppError::Invalid("give 1 to 20 redirect_uris".into()));
    }
    if let Some(bad) = input.redirect_uris.iter().find(|u| !redirect_ok(u)) {
        return Err(AppError::Invalid(format!(
            "redirect_uris: '{bad}' is not an absolute http(s) URL or a reverse-domain app scheme (com.example.app:/cb) without a fragment"
        )));
    }
    Ok(())
}

/// A checked application and a new secret for it (Gitea's `gto_` prefix) with its hash.
fn prepared(input: &AppInput) -> Result<(String, String), AppError> {
    checked(input)?;
    let client_secret = format!("gto_{}", secret::random_token());
    let hash = secret::hash(&client_secret);
    Ok((client_secret, hash))
}

fn spec<'a>(input: &'a AppInput, secret_hash: &'a str) -> UserAppSpec<'a> {
    UserAppSpec {
        name: input.name.trim(),
        redirect_uris: &input.redirect_uris,
        confidential: input.confidential_client,
        secret_hash,
    }
}

impl App {
    pub async fn studio_register_app(
        &self,
        owner: &Account,
        input: &AppInput,
    ) -> Result<(UserApp, String), AppError> {
        let (client_secret, hash) = prepared(input)?;
        let app = self
            .store
            .insert_user_app(
                owner.id,
                &Uuid::new_v4().to_string(),
                &spec(input, &hash),
                MAX_APPS_PER_USER,
                self.clock.now(),
            )
            .await?
            .ok_or(AppError::TooMany)?;
        Ok((app, client_secret))
    }

    pub async fn studio_user_apps(&self, owner: &Account) -> Result<Vec<UserApp>, StoreError> {
        self.store.user_apps(owner.id).await
    }

    pub async fn studio_user_app(&self, owner: &Account, id: i64) -> Result<UserApp, AppError> {
        self.store
            .user_app(owner.id, id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Changes the application and gives it a new secret (as Gitea does).
    pub async fn studio_update_app(
        &self,
        owner: &Account,
        id: i64,
        input: &AppInput,
    ) -> Result<(UserApp, String), AppError> {
        let (client_secret, hash) = prepared(input)?;
        if !self
            .store
            .update_user_app(owner.id, id, &spec(input, &hash), self.clock.now())
            .await?
        {
            return Err(AppError::NotFound);
        }
        Ok((self.studio_user_app(owner, id).await?, client_secret))
    }

    pub async fn studio_delete_app(&self, owner: &Account, id: i64) -> Result<(), AppError> {
        if self
            .store
            .delete_user_app(owner.id, id, self.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redirect_ok;

    #[test]
    fn redirect_uris_are_web_urls_or_reverse_domain_app_schemes() {
        for ok in [
            "https://app.example/cb",
            "http://127.0.0.1:8400/",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(redirect_ok(ok), "{ok}");
        }
        for bad in [
            "app.example/cb",
            "https:///cb",
            "https://app.example/cb#frag",
            "javascript:alert(1)",
            "myapp:/cb",
            "https://app.example/a b",
            "",
        ] {
            assert!(!redirect_ok(bad), "{bad}");
        }
    }
}
