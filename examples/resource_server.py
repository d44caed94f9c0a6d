#!/usr/bin/env python3
"""A resource owner's API (a policy enforcement point) in front of tilgang's decision API (README:
"Enforce a system user"). Python's standard library only.

  GET  /api/{resource}/{orgno}   read  resource for organisation orgno
  POST /api/{resource}/{orgno}   write resource for organisation orgno

The caller sends a system-user token from tilgang's Maskinporten. The server checks its
signature (RS256, the issuer's JWKS), issuer and expiry, takes the system user from
`authorization_details`, and asks POST /authorization/api/v1/authorize whether that system user
may do this for orgno. 200 on Permit, 403 with the decision and tilgang's explanation otherwise.

  resource_server.py --tilgang http://127.0.0.1:8080 --port 8090 --owner 974761076
"""

import argparse
import base64
import hashlib
import json
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
JWKS = {}  # kid -> (n, e)
PDP_TOKEN = {"value": None, "until": 0}
# DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2): PKCS#1 v1.5 signatures end with it + hash.
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def fetch(url, body=None, token=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=10) as r:
        text = r.read().decode()
        return json.loads(text) if r.headers.get_content_type() == "application/json" else text


def verify(token):
    """The claims of a valid system-user token from tilgang's Maskinporten, else ValueError."""
    head64, body64, sig64 = token.split(".")
    header, claims = json.loads(b64d(head64)), json.loads(b64d(body64))
    if header.get("alg") != "RS256":
        raise ValueError("only RS256 tokens are accepted")
    if header.get("kid") not in JWKS:  # a new key: read the issuer's key set again
        for k in fetch(f"{ARGS.tilgang}/maskinporten/jwk")["keys"]:
            if k.get("kty") == "RSA":
                JWKS[k["kid"]] = (int.from_bytes(b64d(k["n"]), "big"), int.from_bytes(b64d(k["e"]), "big"))
    n, e = JWKS.get(header.get("kid"), (None, None))
    if n is None:
        raise ValueError("signed with an unknown key")
    size = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(b64d(sig64), "big"), e, n).to_bytes(size, "big")
    digest = hashlib.sha256(f"{head64}.{body64}".encode()).digest()
    if em != b"\x00\x01" + b"\xff" * (size - 3 - 51) + b"\x00" + SHA256_PREFIX + digest:
        raise ValueError("bad signature")
    if claims.get("iss") != f"{ARGS.tilgang}/maskinporten/" or claims.get("exp", 0) < time.time():
        raise ValueError("wrong issuer, or expired")
    return claims


def decide(system_user, action, resource, orgno):
    if PDP_TOKEN["until"] < time.time() + 30:  # the owner's own token (local profile's test tool)
        PDP_TOKEN["value"] = fetch(f"{ARGS.tilgang}/api/GetEnterpriseToken?orgNo={ARGS.owner}"
                                   "&scopes=altinn:authorization/authorize")
        PDP_TOKEN["until"] = time.time() + 1500
    attr = lambda i, v: {"AttributeId": i, "Value": v}  # noqa: E731
    body = {"Request": {
        "AccessSubject": [{"Attribute": [attr("urn:altinn:systemuser:uuid", system_user)]}],
        "Action": [{"Attribute": [attr("urn:oasis:names:tc:xacml:1.0:action:action-id", action)]}],
        "Resource": [{"Attribute": [attr("urn:altinn:resource", resource),
                                    attr("urn:altinn:organization:identifier-no", orgno)]}]}}
    answer = fetch(f"{ARGS.tilgang}/authorization/api/v1/authorize?explain=true", body, PDP_TOKEN["value"])
    return answer["response"][0]


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_call(self, action):
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "api":
            return self.answer(404, {"error": "use /api/{resource}/{orgno}"})
        _, resource, orgno = parts
        auth = self.headers.get("Authorization", "")
        try:
            claims = verify(auth.removeprefix("Bearer "))
            details = [d for d in claims.get("authorization_details", []) if d.get("type") == "urn:altinn:systemuser"]
            system_user = details[0]["systemuser_id"][0]
        except (ValueError, KeyError, IndexError, json.JSONDecodeError) as e:
            return self.answer(401, {"error": f"not a valid system-user token: {e}"})
        result = decide(system_user, action, resource, orgno)
        if result["decision"] == "Permit":
            return self.answer(200, {"ok": True, "resource": resource, "orgno": orgno, "action": action})
        return self.answer(403, {"decision": result["decision"], "why": result.get("explanation")})

    def do_GET(self):
        self.handle_call("read")

    def do_POST(self):
        self.handle_call("write")

    def log_message(self, fmt, *args):
        pass


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tilgang", default="http://127.0.0.1:8080", help="tilgang's address")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--owner", default="974761076", help="the resource owner's organisation (Skatteetaten)")
    ARGS = parser.parse_args()
    ARGS.tilgang = ARGS.tilgang.rstrip("/")
    print(f"resource server on http://127.0.0.1:{ARGS.port}/api/{{resource}}/{{orgno}}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
