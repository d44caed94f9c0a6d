#!/usr/bin/env python3
"""A vendor changes what its system user may do, against tilgang's local profile (README:
"Change requests").

Python's standard library and the `openssl` command only. Steps:

  vendor_change.py request  registers a Maskinporten client with a fresh RSA key and a system
                            (two rights, two access packages), asks for a system user for the
                            demo bakery with one right and one package, and prints the confirmUrl
  vendor_change.py change   asks to change the approved system user: add the a-melding right,
                            remove the skattegrunnlag package; prints the confirmUrl
  vendor_change.py status   the change request's status
  vendor_change.py holds    what the system user holds now, as the bakery's daglig leder reads it
  vendor_change.py token    fetches a system-user token from Maskinporten

State (the key, the client id, the ids) is kept in --state (default ./vendor-change).
"""

import argparse
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vendor_agent import VENDOR, Failed, Vendor, call, claims_of  # noqa: E402

BAKERY = "315287138"  # Fjellbekk Bakeri AS in the demo data
DAGLIG_LEDER = "05827536549"  # Kari Nordmann, its daglig leder
TAXES = "ske-krav-og-betalinger"
AMELDING = "ske-innrapportering-amelding"
BASIS = "urn:altinn:accesspackage:skattegrunnlag"
VAT = "urn:altinn:accesspackage:merverdiavgift"
SU = "/authentication/api/v1/systemuser"


def right(resource):
    return {"resource": [{"id": "urn:altinn:resource", "value": resource}]}


class ChangingVendor(Vendor):
    def set_up(self):
        """A Maskinporten client with a fresh key and a standard system, once per state dir."""
        if "client_id" in self.state:
            return
        self.new_client("Lønn og skatt", "The vendor's payroll and tax system")
        system_id = f"{VENDOR}_lonnogskatt_{uuid.uuid4().hex[:6]}"
        register = self.test_token("GetEnterpriseToken", orgNo=VENDOR,
                                   scopes="altinn:authentication/systemregister.write")
        call("POST", self.url("/authentication/api/v1/systemregister/vendor"), register, {
            "id": system_id, "vendor": {"ID": f"0192:{VENDOR}"},
            "name": {"nb": "Lønn og skatt", "nn": "Løn og skatt", "en": "Payroll and tax"},
            "description": {"nb": "Lønn, a-melding og skatt", "nn": "Løn, a-melding og skatt",
                            "en": "Payroll, a-melding and tax"},
            "rights": [right(TAXES), right(AMELDING)],
            "accessPackages": [{"urn": BASIS}, {"urn": VAT}],
            "clientId": [self.state["client_id"]],
            "allowedRedirectUrls": [self.url("/auth/session?from=vendor")]})
        self.state["system_id"] = system_id
        self.save()

    def request(self):
        self.set_up()
        token = self.maskinporten()["access_token"]
        created = call("POST", self.url(f"{SU}/request/vendor"), token, {
            "systemId": self.state["system_id"], "partyOrgNo": BAKERY,
            "rights": [right(TAXES)], "accessPackages": [{"urn": BASIS}],
            "redirectUrl": self.url("/auth/session?from=vendor")})
        self.state["system_user_id"] = created["id"]  # the system user keeps its request's id
        self.save()
        return created

    def change(self):
        token = self.maskinporten()["access_token"]
        correlation = str(uuid.uuid4())
        created = call("POST", self.url(
            f"{SU}/changerequest/vendor?correlation-id={correlation}"
            f"&system-user-id={self.state['system_user_id']}"), token, {
                "requiredRights": [right(AMELDING)],
                "unwantedAccessPackages": [{"urn": BASIS}],
                "redirectUrl": self.url("/auth/session?from=vendor")})
        self.state["change_id"] = created["id"]
        self.save()
        return created

    def status(self):
        token = self.maskinporten()["access_token"]
        return call("GET", self.url(f"{SU}/changerequest/vendor/{self.state['change_id']}"), token)

    def holds(self):
        person = self.test_token("GetPersonalToken", pid=DAGLIG_LEDER, scopes="altinn:portal/enduser")
        org = call("GET", self.url(f"/register/api/v1/organizations/{BAKERY}"), person)
        return call("GET", self.url(
            f"{SU}/{org['partyId']}/{self.state['system_user_id']}"), person)

    def token(self):
        details = [{"type": "urn:altinn:systemuser",
                    "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{BAKERY}"}}]
        return self.maskinporten({"scope": "krr:global/kontaktinformasjon.read",
                                  "authorization_details": details})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["request", "change", "status", "holds", "token"])
    parser.add_argument("--base", default="http://127.0.0.1:8080", help="tilgang's address")
    parser.add_argument("--state", default="vendor-change", help="where the key and ids are kept")
    parser.add_argument("--raw", action="store_true", help="token: print the access token alone")
    args = parser.parse_args()
    vendor = ChangingVendor(args.base, args.state)
    try:
        if args.step in ("request", "change"):
            created = vendor.request() if args.step == "request" else vendor.change()
            print(f"{args.step} {created['id']}: {created['status']}")
            print(f"confirmUrl: {created['confirmUrl']}")
        elif args.step == "status":
            print(vendor.status()["status"])
        elif args.step == "holds":
            user = vendor.holds()
            for r in user["rights"]:
                print("right", ",".join(p["value"] for p in r["resource"]))
            for p in user["accessPackages"]:
                print("package", p["urn"])
        else:
            token = vendor.token()
            if args.raw:
                print(token["access_token"])
                return
            detail = claims_of(token["access_token"])["authorization_details"][0]
            print(f"system-user token for {detail['systemuser_id'][0]} "
                  f"of {detail['systemuser_org']['ID']}, expires in {token['expires_in']} s")
    except (Failed, KeyError) as e:
        print(f"vendor_change: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
