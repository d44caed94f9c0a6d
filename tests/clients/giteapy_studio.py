"""giteapy, the Gitea SDK generated from Gitea's swagger, against tilgang's Gitea-compatible
Studio API (/studio/api/v1) with Basic authentication, as a tool written for Gitea calls it.
Prints what it found as JSON.

python3 giteapy_studio.py <base> <user> <password> <org>
"""

import json
import sys

import giteapy


def main():
    base, user, password, org = sys.argv[1:5]
    config = giteapy.Configuration()
    config.host = f"{base}/studio/api/v1"
    config.username = user
    config.password = password
    api = giteapy.ApiClient(config)
    version = giteapy.MiscellaneousApi(api).get_version()
    me = giteapy.UserApi(api).user_get_current()
    orgs = giteapy.OrganizationApi(api).org_list_current_user_orgs()
    found = giteapy.OrganizationApi(api).org_get(org)
    teams = giteapy.OrganizationApi(api).org_list_teams(org)
    members = giteapy.OrganizationApi(api).org_list_members(org)
    repos = giteapy.UserApi(api).user_current_list_repos()
    org_repos = giteapy.OrganizationApi(api).org_list_repos(org)
    found_repos = giteapy.RepositoryApi(api).repo_search(q="bak")
    print(json.dumps({
        "version": version.version,
        "login": me.login,
        "orgs": [o.username for o in orgs],
        "org": found.username,
        "teams": sorted(t.name for t in teams),
        "members": [m.login for m in members],
        "repos": sorted(r.full_name for r in repos),
        "org_repos": [r.name for r in org_repos],
        "search": [r.full_name for r in found_repos.data],
    }))


if __name__ == "__main__":
    main()
