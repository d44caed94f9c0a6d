//! Outgoing e-mail. Every message is written to the outbox first; with SMTP configured it is
//! delivered at once in the background and retried by the jobs (1, 5, 15, 60 minutes … up to
//! eight attempts); without SMTP (local profile) it is kept for the /dev/mail page.

use std::time::Duration;

use super::App;
use crate::smtp;
use crate::store::StoreError;
pub use crate::store::mail::Mail;
use crate::store::mail::{FAILED, KEPT, PENDING, SENT};

const MAX_ATTEMPTS: i64 = 8;
const LEASE: Duration = Duration::from_secs(120);

fn backoff(attempts: i64) -> Duration {
    let minutes = match attempts {
        ..=1 => 1,
        2 => 5,
        3 => 15,
        _ => 60,
    };
    Duration::from_secs(minutes * 60)
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl App {
    /// Queues a message; returns its id. Delivery (if SMTP is configured) starts at once.
    pub async fn send_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, StoreError> {
        let now = self.clock.now();
        let mail = Mail {
            id: uuid::Uuid::new_v4().to_string(),
            recipient: to.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            status: if self.config.smtp.is_some() {
                PENDING
            } else {
                KEPT
            }
            .to_owned(),
            attempts: 0,
            last_error: None,
            created_at: now,
        };
        self.store.insert_mail(&mail).await?;
        tracing::info!(mail = %mail.id, subject, "mail queued");
        if self.config.smtp.is_some() {
            let app = self.clone();
            let id = mail.id.clone();
            tokio::spawn(async move {
                if let Err(e) = app.deliver(&id).await {
                    tracing::warn!(error = %e, mail = %id, "cannot record the mail delivery");
                }
            });
        }
        Ok(mail.id)
    }

    /// One delivery attempt of a pending message (skipped when another instance has it).
    pub async fn deliver(&self, id: &str) -> Result<(), StoreError> {
        let Some(smtp_server) = &self.config.smtp else {
            return Ok(());
        };
        let now = self.clock.now();
        if !self.store.claim_mail(id, now, now + micros(LEASE)).await? {
            return Ok(());
        }
        let Some(mail) = self.store.mail(id).await? else {
            return Ok(());
        };
        let host = self
            .config
            .mail_from
            .rsplit_once('@')
            .map(|(_, h)| h.trim_end_matches('>'))
            .unwrap_or("tilgang");
        let message_id = format!("{}@{host}", mail.id);
        let message = smtp::Message {
            from: &self.config.mail_from,
            to: &mail.recipient,
            subject: &mail.subject,
            text: &mail.body,
            message_id: &message_id,
        };
        let now = self.clock.now();
        match smtp::send(smtp_server, &message).await {
            Ok(()) => {
                tracing::info!(mail = %mail.id, "mail delivered");
                self.store.mail_attempted(id, SENT, None, now, now).await
            }
            Err(e) if e.is_transient() && mail.attempts < MAX_ATTEMPTS => {
                tracing::warn!(mail = %mail.id, error = %e, attempt = mail.attempts, "mail not delivered; will retry");
                let retry = now + micros(backoff(mail.attempts));
                self.store
                    .mail_attempted(id, PENDING, Some(&e.to_string()), retry, now)
                    .await
            }
            Err(e) => {
                tracing::error!(mail = %mail.id, error = %e, "mail cannot be delivered");
                self.store
                    .mail_attempted(id, FAILED, Some(&e.to_string()), now, now)
                    .await
            }
        }
    }

    /// Retries every due message (the jobs call this).
    pub async fn deliver_due_mail(&self) -> Result<usize, StoreError> {
        if self.config.smtp.is_none() {
            return Ok(0);
        }
        let due = self.store.due_mails(self.clock.now()).await?;
        for m in &due {
            self.deliver(&m.id).await?;
        }
        Ok(due.len())
    }
}
