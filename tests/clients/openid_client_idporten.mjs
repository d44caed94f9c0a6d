// openid-client (https://github.com/panva/openid-client), the certified OpenID Connect
// library for Node, against tilgang's embedded ID-porten: discovery, the authorization code
// flow with PKCE, state, nonce and RFC 9207's iss check, client_secret_basic, the ID token's
// validation and userinfo. The log-in page is filled in as a person would.
//
// node openid_client_idporten.mjs <base> <client_id> <client_secret> <redirect_uri> <pid>
import * as client from 'openid-client';

const [base, clientId, clientSecret, redirectUri, pid] = process.argv.slice(2);
const options = { execute: [client.allowInsecureRequests] }; // the test server is plain HTTP
const config = await client.discovery(
  new URL(`${base}/idporten/`), clientId, {}, client.ClientSecretBasic(clientSecret), options);

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri, scope: 'openid', state, nonce,
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
});

// The person: the log-in page, then the form (the flow's cookie goes along).
const page = await fetch(url, { redirect: 'manual' });
const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
const requestId = (await page.text()).match(/name="request_id" value="([^"]+)"/)?.[1];
if (!requestId) throw new Error(`no log-in form at ${url}`);
const login = await fetch(`${base}/idporten/authorize/login`, {
  method: 'POST', redirect: 'manual',
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
  body: new URLSearchParams({ request_id: requestId, pid }),
});
const back = login.headers.get('location');
if (!back?.startsWith(redirectUri)) throw new Error(`no redirect to the client: ${login.status} ${back}`);

const tokens = await client.authorizationCodeGrant(config, new URL(back), {
  pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
});
const claims = tokens.claims();
const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
console.log(JSON.stringify({ sub: claims.sub, pid: claims.pid, acr: claims.acr, userinfo_pid: info.pid }));
