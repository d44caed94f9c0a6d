#!/usr/bin/env python3
"""A vendor of a client system, against tilgang's local profile (README: "Client systems").

Python's standard library and the `openssl` command only. Steps:

  vendor_agent.py request   registers a Maskinporten client with a fresh RSA key and a client
                            system (access packages for accountants), asks for an agent system
                            user for the demo accounting firm and prints the confirmUrl
  vendor_agent.py status    the request's status
  vendor_agent.py token     fetches an agent system-user token from Maskinporten
  vendor_agent.py clients   lists the agent's clients through the client-delegation API, as the
                            vendor's tool does for a person of the firm who logged in

State (the key, the client id, the request id) is kept in --state (default ./vendor-agent).
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

VENDOR = "317219253"  # Regnskapssystemet AS in the demo data
FIRM = "313564363"  # Tallknuserne Regnskap AS, an accounting firm with 28 clients
DAGLIG_LEDER = "24827748486"  # Gunnhild Myhre, daglig leder of the firm
PACKAGES = [
    "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet",
    "urn:altinn:accesspackage:regnskapsforer-lonn",
]
SCOPES = [
    "altinn:authentication/systemuser.request.write",
    "altinn:authentication/systemuser.request.read",
    "krr:global/kontaktinformasjon.read",
]


class Failed(Exception):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def call(method, url, token=None, body=None, form=None):
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read().decode()
    except urllib.error.HTTPError as e:
        raise Failed(f"{method} {url}: {e.code} {e.read().decode()}") from None
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return text


class Vendor:
    def __init__(self, base, state_dir):
        self.base = base.rstrip("/")
        self.dir = state_dir
        self.state_file = os.path.join(state_dir, "state.json")
        self.key_file = os.path.join(state_dir, "key.pem")
        os.makedirs(state_dir, exist_ok=True)
        self.state = {}
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f)

    def save(self):
        with open(self.state_file, "w") as f:
            json.dump(self.state, f, indent=2)

    def url(self, path):
        return self.base + path

    def test_token(self, kind, **query):
        """A token from the local profile's test tools (GetEnterpriseToken / GetPersonalToken)."""
        return call("GET", self.url(f"/api/{kind}?" + urllib.parse.urlencode(query)))

    def jwk(self):
        out = subprocess.run(
            ["openssl", "rsa", "-in", self.key_file, "-noout", "-modulus"],
            check=True, capture_output=True, text=True,
        ).stdout
        modulus = bytes.fromhex(out.strip().split("=", 1)[1])
        return {"kty": "RSA", "kid": self.state["kid"], "alg": "RS256", "use": "sig",
                "n": b64url(modulus), "e": "AQAB"}

    def sign(self, claims):
        header = {"alg": "RS256", "typ": "JWT", "kid": self.state["kid"]}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.key_file],
            input=signing_input.encode(), check=True, capture_output=True,
        ).stdout
        return f"{signing_input}.{b64url(signature)}"

    def maskinporten(self, extra=None):
        now = int(time.time())
        claims = {"iss": self.state["client_id"], "aud": self.url("/maskinporten/"),
                  "iat": now, "exp": now + 60, "jti": str(uuid.uuid4()), "scope": " ".join(SCOPES)}
        claims.update(extra or {})
        return call("POST", self.url("/maskinporten/token"), form={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": self.sign(claims),
        })

    def new_client(self, name, description):
        """A Maskinporten client of the vendor with a fresh RSA key."""
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", self.key_file],
                       check=True, capture_output=True)
        self.state["kid"] = f"vendor-{uuid.uuid4().hex[:8]}"
        dcr = self.test_token("GetEnterpriseToken", orgNo=VENDOR, scopes="idporten:dcr.write")
        client = call("POST", self.url("/selvbetjening/api/v1/clients"), dcr, {
            "client_name": name, "description": description, "scopes": SCOPES})
        self.state["client_id"] = client["client_id"]
        call("POST", self.url(f"/selvbetjening/api/v1/clients/{client['client_id']}/jwks"), dcr,
             {"keys": [self.jwk()]})
        return client

    def set_up(self):
        """A Maskinporten client with a fresh key and a client system, once per state dir."""
        if "client_id" in self.state:
            return
        client = self.new_client("Klientregnskap", "The vendor's client system")
        system_id = f"{VENDOR}_klientregnskap_{uuid.uuid4().hex[:6]}"
        register = self.test_token("GetEnterpriseToken", orgNo=VENDOR,
                                   scopes="altinn:authentication/systemregister.write")
        call("POST", self.url("/authentication/api/v1/systemregister/vendor"), register, {
            "id": system_id, "vendor": {"ID": f"0192:{VENDOR}"},
            "name": {"nb": "Klientregnskap", "nn": "Klientrekneskap", "en": "Client Accounts"},
            "description": {"nb": "Regnskap og lønn for regnskapsførerens klienter",
                            "nn": "Rekneskap og løn for klientane til rekneskapsføraren",
                            "en": "Accounts and payroll for an accountant's clients"},
            "accessPackages": [{"urn": p} for p in PACKAGES], "isVisible": False,
            "clientId": [client["client_id"]],
            "allowedRedirectUrls": [self.url("/auth/session?from=vendor")]})
        self.state["system_id"] = system_id
        self.save()

    def request(self, org):
        self.set_up()
        token = self.maskinporten()["access_token"]
        created = call("POST", self.url("/authentication/api/v1/systemuser/request/vendor/agent"),
                       token, {
                           "systemId": self.state["system_id"], "partyOrgNo": org,
                           "externalRef": f"klient-{org}",
                           "accessPackages": [{"urn": p} for p in PACKAGES],
                           "redirectUrl": self.url("/auth/session?from=vendor")})
        self.state.update({"request_id": created["id"], "org": org})
        self.save()
        return created

    def status(self):
        token = self.maskinporten()["access_token"]
        return call("GET", self.url(
            f"/authentication/api/v1/systemuser/request/vendor/agent/{self.state['request_id']}"), token)

    def agent_token(self):
        org = self.state["org"]
        details = [{"type": "urn:altinn:systemuser",
                    "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org}"},
                    "externalRef": f"klient-{org}"}]
        return self.maskinporten({"scope": "krr:global/kontaktinformasjon.read",
                                  "authorization_details": details})

    def clients(self, pid):
        token = self.test_token("GetPersonalToken", pid=pid, scopes="altinn:clientdelegations.read")
        agent = self.state["request_id"]  # the system user keeps its request's id
        return call("GET", self.url(
            f"/authentication/api/v1/enduser/systemuser/clients?agent={agent}"), token)


def claims_of(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["request", "status", "token", "clients"])
    parser.add_argument("--base", default="http://127.0.0.1:8080", help="tilgang's address")
    parser.add_argument("--state", default="vendor-agent", help="where the key and ids are kept")
    parser.add_argument("--org", default=FIRM, help="the facilitator's organisation number")
    parser.add_argument("--pid", default=DAGLIG_LEDER, help="the person listing the clients")
    parser.add_argument("--raw", action="store_true", help="token: print the access token alone")
    args = parser.parse_args()
    vendor = Vendor(args.base, args.state)
    try:
        if args.step == "request":
            created = vendor.request(args.org)
            print(f"request {created['id']}: {created['status']}")
            print(f"confirmUrl: {created['confirmUrl']}")
        elif args.step == "status":
            print(vendor.status()["status"])
        elif args.step == "token":
            token = vendor.agent_token()
            if args.raw:
                print(token["access_token"])
                return
            detail = claims_of(token["access_token"])["authorization_details"][0]
            print(f"agent token for system user {detail['systemuser_id'][0]} "
                  f"of {detail['systemuser_org']['ID']}, expires in {token['expires_in']} s")
        else:
            page = vendor.clients(args.pid)
            for c in page["data"]:
                print(f"{c['clientOrganizationNumber']}  {c['clientOrganizationName']}")
            print(f"{len(page['data'])} clients")
    except (Failed, KeyError) as e:
        print(f"vendor_agent: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
