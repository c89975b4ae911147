#!/usr/bin/env bash
# The Hoop service-account flow by hand, with curl, against the local stack (or any gateway):
# token, register the token's subject, userinfo 200, set inactive, userinfo 401.
#   eval "$(python tests/stack/hoopstack env --state-dir D)"; tests/stack/seed-flow.sh
# Reads HOOP_APIURL, HOOP_APIKEY, HOOP_TOKEN_URL, HOOP_CLIENT_ID, HOOP_CLIENT_SECRET.
# Prints each step and its HTTP status, never a secret; exits 1 on the first surprise.
set -euo pipefail
: "${HOOP_APIURL:?set HOOP_APIURL}" "${HOOP_APIKEY:?set HOOP_APIKEY}"
: "${HOOP_TOKEN_URL:?set HOOP_TOKEN_URL}" "${HOOP_CLIENT_ID:?set HOOP_CLIENT_ID}"
: "${HOOP_CLIENT_SECRET:?set HOOP_CLIENT_SECRET}"
api="${HOOP_APIURL%/}"
api="${api%/api}/api"
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# step EXPECTED LABEL CURL-ARGS...: EXPECTED may list several statuses, as in "201|409".
step() {
    local expected=$1 label=$2
    shift 2
    status=$(curl -sS -o "$body" -w '%{http_code}' "$@")
    printf '%-48s HTTP %s\n' "$label" "$status"
    if [[ "|$expected|" != *"|$status|"* ]]; then
        echo "expected HTTP $expected; the answer was: $(head -c 300 "$body")" >&2
        exit 1
    fi
}

step 200 "1. POST token (client_credentials)" -X POST "$HOOP_TOKEN_URL" \
    --data-urlencode grant_type=client_credentials \
    --data-urlencode "client_id=$HOOP_CLIENT_ID" \
    --data-urlencode "client_secret=$HOOP_CLIENT_SECRET" \
    --data-urlencode "scope=${HOOP_SCOPE:-openid}"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$body")
subject=$(python3 -c '
import base64, json, sys
payload = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
' "$token")
echo "   token subject: $subject"
encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$subject")
account=$(python3 -c 'import json, sys; print(json.dumps({"subject": sys.argv[1], "name": "seed-flow", "status": "active", "groups": ["sre"]}))' "$subject")

# 409: registered by an earlier run; the PUT makes it active again so the flow can repeat.
step "201|409" "2. POST /api/serviceaccounts (Api-Key)" -X POST "$api/serviceaccounts" \
    -H "Api-Key: $HOOP_APIKEY" -H 'Content-Type: application/json' -d "$account"
if [ "$status" = 409 ]; then
    step 200 "   already registered: PUT it active" -X PUT "$api/serviceaccounts/$encoded" \
        -H "Api-Key: $HOOP_APIKEY" -H 'Content-Type: application/json' -d "$account"
fi
step 200 "3. GET /api/userinfo (Bearer token)" "$api/userinfo" -H "Authorization: Bearer $token"
echo "   userinfo: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print({k: d.get(k) for k in ("email", "name", "role", "status")})' "$body")"
step 200 "4. PUT /api/serviceaccounts/{subject}, inactive" -X PUT "$api/serviceaccounts/$encoded" \
    -H "Api-Key: $HOOP_APIKEY" -H 'Content-Type: application/json' \
    -d "${account/\"active\"/\"inactive\"}"
step 401 "5. GET /api/userinfo after revocation" "$api/userinfo" -H "Authorization: Bearer $token"
echo "seed flow: all five steps answered as expected"
