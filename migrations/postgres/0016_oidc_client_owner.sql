-- Relying parties registered through the self-service API belong to an organisation and carry
-- what Digdir's self-service API shows of them. Clients from the configuration or the CLI have no
-- owner and accept any scope the provider offers (scopes NULL).
ALTER TABLE oidc_client ADD COLUMN owner_org TEXT;
ALTER TABLE oidc_client ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE oidc_client ADD COLUMN token_endpoint_auth_method TEXT NOT NULL DEFAULT 'client_secret_basic';
ALTER TABLE oidc_client ADD COLUMN scopes TEXT;
ALTER TABLE oidc_client ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX oidc_client_owner ON oidc_client (owner_org, created_at);
