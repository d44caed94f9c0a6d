// A stand-in for ID-porten in tilgang's integration tests (production profile).
//
// An independent OpenID Provider built on `oidc-provider` (panva), configured like ID-porten
// where it matters to a relying party: an issuer without a trailing slash, a confidential client
// with client_secret_post, authorization code + PKCE (S256, required), RS256 ID tokens with
// `pid`, `acr` (idporten-loa-*) and `amr`, pairwise `sub`, and ID-porten's endpoint paths.
// The login page is this file's own: one field, the fødselsnummer (pid); consent is granted
// automatically.
//
// Environment:
//   OP_PORT           port on 127.0.0.1 (0 = any free port)                 default 0
//   OP_ISSUER         issuer, no trailing slash         default http://127.0.0.1:<port>
//   OP_CLIENT_ID      the client's id                                        default tilgang
//   OP_CLIENT_SECRET  the client's secret (client_secret_post)               default secret
//   OP_REDIRECT_URIS  comma-separated redirect URIs                          required
//   OP_ACR            the acr put in ID tokens            default idporten-loa-substantial
//
// Prints one line to stdout once listening: `ready <issuer>`. Everything else goes to stderr.

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

// oidc-provider writes notices with console.info; stdout carries only the `ready` line.
for (const level of ['log', 'info', 'debug']) {
  console[level] = (...args) => console.error(...args);
}

const { default: Provider, errors } = await import('oidc-provider');

const ACR_VALUES = ['idporten-loa-substantial', 'idporten-loa-high'];

function fail(message) {
  console.error(`oidc-provider stand-in: ${message}`);
  process.exit(2);
}

const port = Number.parseInt(process.env.OP_PORT ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad OP_PORT '${process.env.OP_PORT}'`);
const clientId = process.env.OP_CLIENT_ID || 'tilgang';
const clientSecret = process.env.OP_CLIENT_SECRET || 'secret';
const redirectUris = (process.env.OP_REDIRECT_URIS ?? '')
  .split(',')
  .map((u) => u.trim())
  .filter(Boolean);
if (redirectUris.length === 0) fail('OP_REDIRECT_URIS is required (comma-separated)');
const acr = process.env.OP_ACR || 'idporten-loa-substantial';
if (!ACR_VALUES.includes(acr)) fail(`OP_ACR must be one of ${ACR_VALUES.join(', ')}`);

// Listen first, so that with OP_PORT=0 the issuer can name the port actually chosen.
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
});
// Taken as given: the default has no trailing slash, like https://idporten.no.
const issuer = process.env.OP_ISSUER || `http://127.0.0.1:${server.address().port}`;

// A fresh signing key per start (RS256, 2048 bits).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};
const pairwiseSalt = randomBytes(16).toString('hex');

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      post_logout_redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      subject_type: 'pairwise',
      application_type: 'web',
    },
  ],
  clientAuthMethods: ['client_secret_post'],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  acrValues: ACR_VALUES,
  responseTypes: ['code'],
  scopes: ['openid', 'profile'],
  // Scope -> claims. acr, amr and auth_time are listed under openid so that every ID token has
  // them (oidc-provider otherwise adds acr only when acr_values was sent, and auth_time only
  // with max_age or prompt=login); ID-porten always sends them.
  claims: {
    openid: ['sub', 'pid', 'acr', 'amr', 'auth_time'],
    profile: ['pid', 'locale'],
  },
  // Claims of the granted scopes go into the ID token too (as ID-porten puts pid there), not
  // only into the UserInfo response.
  conformIdTokenClaims: false,
  subjectTypes: ['pairwise'],
  pairwiseIdentifier(_ctx, accountId, client) {
    return createHash('sha256')
      .update(`${client.sectorIdentifier}|${accountId}|${pairwiseSalt}`)
      .digest('base64url');
  },
  pkce: { required: () => true },
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    revocation: { enabled: false },
    introspection: { enabled: false },
  },
  routes: {
    // ID-porten's paths (the relying party finds them through discovery anyway).
    authorization: '/authorize',
    token: '/token',
    userinfo: '/userinfo',
    jwks: '/jwks.json',
    end_session: '/logout',
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, pid: id, locale: 'nb' };
      },
    };
  },
  clientBasedCORS: () => false,
  ttl: {
    AccessToken: 120,
    AuthorizationCode: 60,
    IdToken: 120,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Feil', `<h1>Feil</h1><pre>${escape(JSON.stringify(out, null, 2))}</pre>`);
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, err) => console.error('server_error', err));
provider.on('authorization.error', (_ctx, err) => console.error('authorization.error', err.message, err.error_description ?? ''));
provider.on('grant.error', (_ctx, err) => console.error('grant.error', err.message, err.error_description ?? ''));
const providerCallback = provider.callback();

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html>
<html lang="nb">
<head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

function loginForm(uid, error) {
  return page('Logg inn – ID-porten (test)', `<h1>Logg inn med TestID</h1>
${error ? `<p role="alert" class="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label for=pid>Fødselsnummer</label>
  <input id=pid name=pid inputmode=numeric autocomplete=off autofocus>
  <button type=submit>Logg inn</button>
</form>`);
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grants what the client asked for, without asking the person (no consent page).
async function grantConsent(req, res, details) {
  const {
    prompt: { details: missing },
    params,
    session,
    grantId: existingGrantId,
  } = details;
  const grant = existingGrantId
    ? await provider.Grant.find(existingGrantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  const consent = existingGrantId ? {} : { grantId };
  await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, url) {
  const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
  if (!match) return sendHtml(res, 404, page('Ikke funnet', '<h1>Ikke funnet</h1>'));
  const [, uid, login] = match;

  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      return sendHtml(res, 400, page('Utløpt', '<h1>Innloggingen er utløpt eller ukjent</h1>'));
    }
    throw err;
  }
  if (details.uid !== uid) return sendHtml(res, 400, page('Feil', '<h1>Feil innlogging</h1>'));
  const { prompt } = details;

  if (req.method === 'GET' && !login) {
    if (prompt.name === 'login') return sendHtml(res, 200, loginForm(uid));
    if (prompt.name === 'consent') return grantConsent(req, res, details);
    return sendHtml(res, 400, page('Feil', `<h1>Ukjent steg ${escape(prompt.name)}</h1>`));
  }

  if (req.method === 'POST' && login) {
    if (prompt.name !== 'login') return sendHtml(res, 400, page('Feil', '<h1>Ikke et innloggingssteg</h1>'));
    const form = await readForm(req);
    const pid = (form.get('pid') ?? '').trim();
    if (!/^\d{11}$/.test(pid)) {
      return sendHtml(res, 400, loginForm(uid, 'Fødselsnummeret må ha 11 siffer.'));
    }
    console.error(`login pid=${pid} acr=${acr} client=${details.params.client_id}`);
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: pid, acr, amr: ['TestID'], remember: true } },
      { mergeWithLastSubmission: false },
    );
  }

  res.statusCode = 405;
  res.end();
}

server.on('request', (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/interaction/')) {
    interaction(req, res, url).catch((err) => {
      console.error('interaction error', err);
      if (!res.headersSent) sendHtml(res, 500, page('Feil', '<h1>Intern feil</h1>'));
      else res.end();
    });
    return;
  }
  providerCallback(req, res);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}

process.stdout.write(`ready ${issuer}\n`);
