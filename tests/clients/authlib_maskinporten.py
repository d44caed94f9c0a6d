"""authlib (https://authlib.org), a widely used OAuth library for Python, against tilgang's
embedded Maskinporten: the JWT-bearer grant (RFC 7523) with a system user in
`authorization_details`, as a vendor's end-user system does it. Prints the token's claims of
interest as JSON.

python3 authlib_maskinporten.py <base> <client_id> <key.pem> <kid> <customer org> <externalRef>
"""

import base64
import json
import sys
import uuid

import requests
from authlib.integrations.requests_client import AssertionSession


def main():
    base, client_id, key_file, kid, org, external_ref = sys.argv[1:7]
    issuer = f"{base}/maskinporten/"
    metadata = requests.get(f"{base}/.well-known/oauth-authorization-server/maskinporten", timeout=10).json()
    assert metadata["issuer"] == issuer, metadata
    with open(key_file) as f:
        key = f.read()
    details = [{"type": "urn:altinn:systemuser",
                "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{org}"},
                "externalRef": external_ref}]
    session = AssertionSession(
        token_endpoint=metadata["token_endpoint"],
        issuer=client_id,
        subject=client_id,
        audience=issuer,
        grant_type=AssertionSession.JWT_BEARER_GRANT_TYPE,
        claims={"scope": "krr:global/kontaktinformasjon.read", "jti": str(uuid.uuid4()),
                "authorization_details": details},
        header={"alg": "RS256", "kid": kid},
        key=key,
        expires_in=60,  # Maskinporten takes assertions that live at most 120 seconds
    )
    token = session.refresh_token()  # authlib asks for a token with a fresh assertion
    payload = token["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    detail = claims["authorization_details"][0]
    print(json.dumps({"systemuser_id": detail["systemuser_id"],
                      "systemuser_org": detail["systemuser_org"]["ID"],
                      "consumer": claims["consumer"]["ID"], "token_type": token["token_type"]}))


if __name__ == "__main__":
    main()
