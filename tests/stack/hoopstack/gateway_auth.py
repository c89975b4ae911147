"""How the local gateway tells who is calling, in the order the real gateway tries it.

1. ``Api-Key`` header: the organisation key (``xapi-...`` or legacy ``<org-uuid>|<secret>``)
   is an administrator; any other value is refused with ``{"message": "unauthorize"}``.
2. ``Authorization: Bearer <org key>``: the hoop CLI sends org keys as a bearer too.
3. ``Authorization: Bearer hpk_...``: a managed API key with its own groups.
4. ``Authorization: Bearer <JWT>``: verified against the issuer's JWKS (RS256/ES256,
   signature and ``exp``); its ``sub`` is the identity.
5. any other bearer is opaque: resolved through the issuer's introspection endpoint when the
   gateway has introspection client credentials, else through its userinfo endpoint.

The identity is then matched against service accounts by exact subject; route checks
(registered, active, groups) are made by the caller with :func:`authorize`.
"""

import hmac
import sys

import jwt
import requests

ALGORITHMS = ["RS256", "ES256"]
ACCESS_DENIED = "access denied"
UNAUTHORIZE = "unauthorize"


class Refusal(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Identity:
    def __init__(self, kind, subject, name="", groups=(), status="active", registered=True):
        self.kind = kind
        self.subject = subject
        self.name = name
        self.groups = list(groups)
        self.status = status
        self.registered = registered

    @property
    def is_admin(self):
        return "admin" in self.groups


def bearer_of(headers):
    value = headers.get("Authorization") or ""
    scheme, _sep, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def credential_kind(headers, org_keys):
    """Classify the credential by its shape only, for the request log."""
    if headers.get("Api-Key"):
        return "api-key"
    token = bearer_of(headers)
    if token is None:
        return "none"
    if _matches_any(token, org_keys):
        return "api-key"
    if token.startswith("hpk_"):
        return "hpk"
    if token.count(".") == 2:
        return "jwt"
    return "opaque"


def _matches_any(value, keys):
    return any(hmac.compare_digest(value.encode(), key.encode()) for key in keys)


def _looks_like_org_key(token):
    head, sep, _rest = token.partition("|")
    return token.startswith("xapi-") or (sep and len(head) == 36 and head.count("-") == 4)


def _log(message):
    print("hoopstack.gateway: " + message, file=sys.stderr, flush=True)


class Authenticator:
    def __init__(self, store, issuer, org_keys, introspection_client=None, issuer_ca=None):
        self._store = store
        self._issuer = issuer.rstrip("/") if issuer else None
        self._org_keys = list(org_keys)
        self._introspection_client = introspection_client
        self._verify = issuer_ca or True
        self._discovery = None
        self._jwks = {}

    @property
    def org_keys(self):
        return self._org_keys

    def authenticate(self, headers):
        api_key = headers.get("Api-Key")
        if api_key:
            if _matches_any(api_key, self._org_keys):
                return self._org_identity()
            raise Refusal(401, UNAUTHORIZE)

        token = bearer_of(headers)
        if token is None:
            raise Refusal(401, ACCESS_DENIED)
        if _matches_any(token, self._org_keys):
            return self._org_identity()
        if _looks_like_org_key(token):
            # An org-key look-alike is never forwarded to the identity provider.
            raise Refusal(401, ACCESS_DENIED)
        if token.startswith("hpk_"):
            return self._apikey_identity(token)
        if token.count(".") == 2:
            return self._account_identity("jwt", self._jwt_subject(token))
        return self._account_identity("opaque", self._opaque_subject(token))

    def _org_identity(self):
        return Identity("api-key", "API_KEY", name="API Key", groups=["admin"])

    def _apikey_identity(self, token):
        key = self._store.find_apikey(token)
        if key is None:
            raise Refusal(401, ACCESS_DENIED)
        return Identity("hpk", key["name"], key["name"], key["groups"], key["status"])

    def _account_identity(self, kind, subject):
        account = self._store.get_serviceaccount(subject)
        if account is None:
            return Identity(kind, subject, registered=False, status="")
        return Identity(kind, subject, account["name"], account["groups"], account["status"])

    def _discover(self):
        if self._discovery is None:
            if not self._issuer:
                raise Refusal(401, ACCESS_DENIED)
            url = self._issuer + "/.well-known/openid-configuration"
            try:
                response = requests.get(url, timeout=10, verify=self._verify)
                response.raise_for_status()
                self._discovery = response.json()
            except (requests.RequestException, ValueError) as exc:
                _log("discovery at %s failed: %s" % (url, type(exc).__name__))
                raise Refusal(401, ACCESS_DENIED) from None
        return self._discovery

    def _fetch_jwks(self):
        url = self._discover().get("jwks_uri")
        try:
            response = requests.get(url, timeout=10, verify=self._verify)
            response.raise_for_status()
            keyset = jwt.PyJWKSet.from_dict(response.json())
        except (requests.RequestException, ValueError, jwt.PyJWTError) as exc:
            _log("JWKS at %s unusable: %s" % (url, type(exc).__name__))
            raise Refusal(401, ACCESS_DENIED) from None
        self._jwks = {k.key_id: k for k in keyset.keys}

    def _signing_key(self, kid):
        if kid not in self._jwks:
            # A kid we have not seen may come from a rotated key set: fetch it again once.
            self._fetch_jwks()
        if kid in self._jwks:
            return self._jwks[kid]
        if kid is None and len(self._jwks) == 1:
            return next(iter(self._jwks.values()))
        raise Refusal(401, ACCESS_DENIED)

    def _jwt_subject(self, token):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Refusal(401, ACCESS_DENIED) from None
        if header.get("alg") not in ALGORITHMS:
            raise Refusal(401, ACCESS_DENIED)
        key = self._signing_key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                options={"require": ["exp"], "verify_aud": False, "verify_iss": False},
            )
        except jwt.PyJWTError:
            raise Refusal(401, ACCESS_DENIED) from None
        return _subject_from(claims)

    def _opaque_subject(self, token):
        discovery = self._discover()
        try:
            if self._introspection_client and discovery.get("introspection_endpoint"):
                response = requests.post(
                    discovery["introspection_endpoint"],
                    data={"token": token},
                    auth=self._introspection_client,
                    timeout=10,
                    verify=self._verify,
                )
                response.raise_for_status()
                claims = response.json()
                if claims.get("active") is not True:
                    raise Refusal(401, ACCESS_DENIED)
            elif discovery.get("userinfo_endpoint"):
                response = requests.get(
                    discovery["userinfo_endpoint"],
                    headers={"Authorization": "Bearer " + token},
                    timeout=10,
                    verify=self._verify,
                )
                if response.status_code != 200:
                    raise Refusal(401, ACCESS_DENIED)
                claims = response.json()
            else:
                raise Refusal(401, ACCESS_DENIED)
        except (requests.RequestException, ValueError) as exc:
            _log("opaque token check failed: %s" % type(exc).__name__)
            raise Refusal(401, ACCESS_DENIED) from None
        return _subject_from(claims)


def _subject_from(claims):
    subject = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(subject, str) or not subject:
        raise Refusal(401, ACCESS_DENIED)
    return subject


def authorize(identity, admin_only=False, allow_unregistered=False):
    """Apply the route's rules to an authenticated identity; raise Refusal when they fail."""
    if not identity.registered:
        if allow_unregistered:
            return
        raise Refusal(401, ACCESS_DENIED)
    if identity.status != "active":
        raise Refusal(401, ACCESS_DENIED)
    if admin_only and not identity.is_admin:
        raise Refusal(403, ACCESS_DENIED)
