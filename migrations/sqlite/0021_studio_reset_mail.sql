-- When a password-reset mail last went to a Studio user: its own resend pause, so that someone
-- asking for resets for a person does not hold back that person's activation or new-address mails.
ALTER TABLE studio_user ADD COLUMN last_reset_mail_at INTEGER;
