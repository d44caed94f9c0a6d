-- Altinn Studio accounts (spec studio-accounts §3): users and organisations share one namespace
-- (kind 0 = individual, 1 = organisation), teams and their members, applications (repositories),
-- Studio as OAuth2/OIDC provider (applications, grants = consent, codes, refresh tokens), Studio
-- sessions, used captcha challenges, organisation requests, and the mail outbox.

CREATE TABLE studio_user (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           INTEGER NOT NULL,
    name           TEXT NOT NULL,
    lower_name     TEXT NOT NULL UNIQUE,
    full_name      TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    passwd         TEXT NOT NULL DEFAULT '',
    rands          TEXT NOT NULL DEFAULT '',
    is_active      INTEGER NOT NULL DEFAULT 0,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    login_source   TEXT NOT NULL DEFAULT '',
    login_name     TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    org_number     TEXT,
    service_owner  INTEGER NOT NULL DEFAULT 0,
    last_mail_at   INTEGER,
    signup_ip      TEXT,
    signup_agent   TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    last_login_at  INTEGER
);
CREATE UNIQUE INDEX studio_user_email ON studio_user (email) WHERE email <> '';

-- An eID identity (Ansattporten `sub`) linked to one Studio user.
CREATE TABLE studio_external_login (
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES studio_user (id),
    pid_hash    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (source, external_id)
);

CREATE TABLE studio_org_env (
    org_id INTEGER NOT NULL REFERENCES studio_user (id),
    env    TEXT NOT NULL,
    PRIMARY KEY (org_id, env)
);

CREATE TABLE studio_team (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                    INTEGER NOT NULL REFERENCES studio_user (id),
    name                      TEXT NOT NULL,
    lower_name                TEXT NOT NULL,
    description               TEXT NOT NULL DEFAULT '',
    permission                TEXT NOT NULL,
    includes_all_repositories INTEGER NOT NULL DEFAULT 1,
    can_create_org_repo       INTEGER NOT NULL DEFAULT 0,
    created_at                INTEGER NOT NULL,
    UNIQUE (org_id, lower_name)
);

CREATE TABLE studio_team_user (
    team_id INTEGER NOT NULL REFERENCES studio_team (id),
    user_id INTEGER NOT NULL REFERENCES studio_user (id),
    org_id  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX studio_team_user_user ON studio_team_user (user_id);

CREATE TABLE studio_repo (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL REFERENCES studio_user (id),
    name        TEXT NOT NULL,
    lower_name  TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (owner_id, lower_name)
);

CREATE TABLE studio_oauth_app (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id     TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    confidential  INTEGER NOT NULL,
    trusted       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Consent: a user's grant to an application.
CREATE TABLE studio_oauth_grant (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES studio_user (id),
    app_id     INTEGER NOT NULL REFERENCES studio_oauth_app (id),
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, app_id)
);

CREATE TABLE studio_oauth_code (
    code_hash      TEXT PRIMARY KEY,
    grant_id       INTEGER NOT NULL,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    method         TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    used           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE studio_oauth_refresh (
    token_hash TEXT PRIMARY KEY,
    grant_id   INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0
);

-- Studio's own sessions: 'account' (the Gitea side: a user, or an eID identity waiting to be
-- linked) and 'designer' (the Altinn Studio application, after consent).
CREATE TABLE studio_session (
    id_hash    TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    INTEGER,
    data       TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX studio_session_expiry ON studio_session (expires_at);

-- Captcha challenges already answered (each is single use until it expires).
CREATE TABLE studio_captcha_used (
    challenge  TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

CREATE TABLE studio_org_request (
    id            TEXT PRIMARY KEY,
    requester_id  INTEGER NOT NULL REFERENCES studio_user (id),
    short_name    TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    org_number    TEXT NOT NULL,
    admin_name    TEXT NOT NULL,
    service_owner INTEGER NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    decided_by    TEXT,
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER
);

-- Every e-mail tilgang sends. Local profile without SMTP: kept here and shown at /dev/mail.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
