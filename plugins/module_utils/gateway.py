# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to the gateway's ``/api``: where it is, which credential to send, what answers mean.

Every gateway module sends its requests through one GatewayClient, so that the address is
normalised, the credential chosen and failures explained the same way everywhere.
"""

from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import (
    http_client_from_params,
    safe_url,
)
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import (
    oauth2_params_given,
)

ENV_API_URL = "HOOP_APIURL"
ENV_TOKEN = "HOOP_TOKEN"  # noqa: S105 - the name of a variable, not a secret
ENV_API_KEY = "HOOP_APIKEY"
ENV_CLIENT_ID = "HOOP_CLIENT_ID"

TOKEN = "token"  # noqa: S105 - a credential kind, not a secret
API_KEY = "api_key"
OAUTH2 = "oauth2"

# Highest precedence first, within one source (the task, or the environment).
PRECEDENCE = (TOKEN, API_KEY, OAUTH2)


def normalise_api_url(value):
    """The gateway's base URL without the ``/api`` suffix and trailing slashes.

    Users paste both ``https://hoop.example.com`` (the hoop CLI's form) and
    ``https://hoop.example.com/api/``; both must address the same routes.
    """
    text = (value or "").strip()
    if not text:
        raise HoopError(
            "No gateway address: set 'api_url' (or the environment variable %s) to the "
            "gateway's URL, for example https://hoop.example.com." % ENV_API_URL
        )
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise HoopError(
            "'api_url' is not a usable URL (%s): give the gateway's http:// or https:// "
            "address, for example https://hoop.example.com." % safe_url(text)
        )
    if "@" in parts.netloc:
        raise HoopError(
            "'api_url' must not hold credentials in its address: give the address alone and "
            "the credential with 'token', 'api_key' or the OAuth2 client options."
        )
    if parts.query or parts.fragment:
        raise HoopError(
            "'api_url' must not have a query string or fragment (%s): give the gateway's "
            "base address, for example https://hoop.example.com." % safe_url(text)
        )
    path = parts.path.rstrip("/")
    if path.endswith("/api"):
        path = path[: -len("/api")].rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def serviceaccount_path(subject):
    """The route of one service account; the subject is a single percent-encoded segment."""
    return "/serviceaccounts/" + quote(subject, safe="")


def _strip_bearer(value, source="'token'"):
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value or value.lower() == "bearer":
        raise HoopError(
            "%s holds the word 'Bearer' but no token after it. Give the access token itself "
            "(with or without the 'Bearer ' prefix)." % source
        )
    return value


class Credential:
    """The credential a request carries; ``label`` names it in messages without its value."""

    def __init__(self, kind, source, value=None):
        self.kind = kind
        self.source = source
        self.value = value

    @property
    def label(self):
        where = "the task" if self.source == "task" else "the environment"
        if self.kind == TOKEN:
            name = "'token'" if self.source == "task" else ENV_TOKEN
            return "the bearer token from %s" % name
        if self.kind == API_KEY:
            name = "'api_key'" if self.source == "task" else ENV_API_KEY
            return "the %s from %s" % (self.api_key_kind, name)
        return "the token minted with the OAuth2 client settings from %s" % where

    @property
    def api_key_kind(self):
        if self.value and self.value.startswith("hpk_"):
            return "managed API key (hpk_)"
        return "organisation API key"

    def headers(self, access_token=None):
        """Headers for the gateway, sent the way it expects for this kind of credential."""
        if self.kind == API_KEY and not self.value.startswith("hpk_"):
            # Organisation keys (xapi-... and the legacy <org-uuid>|<secret>) go in Api-Key;
            # managed keys are bearer tokens.
            return {"Api-Key": self.value}
        if self.kind == OAUTH2:
            return {"Authorization": "Bearer " + access_token}
        return {"Authorization": "Bearer " + self.value}


def _describe(kind, source):
    if kind == TOKEN:
        return "'token'" if source == "task" else ENV_TOKEN
    if kind == API_KEY:
        return "'api_key'" if source == "task" else ENV_API_KEY
    if source == "task":
        return "the OAuth2 client options"
    return "%s (OAuth2 client)" % ENV_CLIENT_ID


def select_credential(params, ctx):
    """The one credential to use, following the documented precedence.

    A credential given in the task wins over any in the environment, so that a task never
    silently runs as someone else; within one source a bearer token beats an API key, which
    beats an OAuth2 client. Lower-precedence credentials of the chosen source are reported,
    except an OAuth2 client in the environment beside a token or API key there.
    """
    task = {}
    if params.get("token") and params["token"].strip():
        task[TOKEN] = _strip_bearer(params["token"])
    if params.get("api_key") and params["api_key"].strip():
        task[API_KEY] = params["api_key"].strip()
    if oauth2_params_given(params):
        task[OAUTH2] = None

    environment = {}
    if ctx.env(ENV_TOKEN) and ctx.env(ENV_TOKEN).strip():
        environment[TOKEN] = _strip_bearer(ctx.env(ENV_TOKEN), ENV_TOKEN)
    if ctx.env(ENV_API_KEY) and ctx.env(ENV_API_KEY).strip():
        environment[API_KEY] = ctx.env(ENV_API_KEY).strip()
    if ctx.env(ENV_CLIENT_ID):
        environment[OAUTH2] = None

    source, given = ("task", task) if task else ("environment", environment)
    if not given:
        raise HoopError(
            "No credential for the gateway: set one of 'token' (a bearer access token), "
            "'api_key' (an organisation key xapi-... or a managed key hpk_...) or the OAuth2 "
            "client options ('client_id' with 'client_secret' or 'private_key', and "
            "'token_url', 'issuer' or 'provider'), or the environment variables %s, %s or "
            "%s with the other HOOP_ OAuth2 variables." % (ENV_TOKEN, ENV_API_KEY, ENV_CLIENT_ID)
        )
    kinds = [kind for kind in PRECEDENCE if kind in given]
    chosen = kinds[0]
    for ignored in kinds[1:]:
        if source == "environment" and ignored == OAUTH2:
            # An AWX credential (and the local stack's env) injects the administrator's key
            # beside the client of the account being set up; that client is not meant for
            # the gateway modules, so the documented precedence applies without a warning.
            continue
        ctx.warn(
            "Both %s and %s are set in %s; using %s and ignoring %s. Set only one credential."
            % (
                _describe(chosen, source),
                _describe(ignored, source),
                "the task" if source == "task" else "the environment",
                _describe(chosen, source),
                _describe(ignored, source),
            )
        )
    return Credential(chosen, source, given[chosen])


def server_message(response):
    """The gateway's ``message`` from a JSON error body, or None."""
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return None


class GatewayClient:
    """Sends requests to ``<api_url>/api`` with one credential and explains failures."""

    def __init__(self, api_url, credential, http, ctx, params=None):
        self.base_url = normalise_api_url(api_url)
        self.api_url = self.base_url + "/api"
        self.credential = credential
        self.http = http
        self.ctx = ctx
        self._params = params or {}
        self._access_token = None
        self._reminted = False
        http.add_secret(credential.value)

    @classmethod
    def from_params(cls, params, ctx):
        """A client for validated module params; env fallbacks are read from ``ctx``."""
        api_url = params.get("api_url") or ctx.env(ENV_API_URL)
        base_url = normalise_api_url(api_url)
        credential = select_credential(params, ctx)
        http = http_client_from_params(params, ctx)
        return cls(base_url, credential, http, ctx, params)

    def _mint(self):
        # Imported here: only tasks that mint a token pay for the OAuth2 code and its libraries.
        from ansible_collections.hoop.gateway.plugins.module_utils.oauth2 import TokenClient

        token = TokenClient.from_params(self._params, self.ctx, self.http).fetch()
        self._access_token = token["access_token"]
        self.http.add_secret(self._access_token)

    def _headers(self):
        if self.credential.kind == OAUTH2 and self._access_token is None:
            self._mint()
        return self.credential.headers(self._access_token)

    def request(self, method, path, what, body=None, allow=(), remint=True):
        """Send one request; return the HttpResponse of a 2xx or of a status in ``allow``.

        Any other answer raises a HoopError that says what the status means here. A token
        this client minted is minted afresh once when the gateway answers 401, since it may
        have expired between the mint and the request; ``remint=False`` skips that when a 401
        is the answer the caller hopes for.
        """
        url = self.api_url + path
        response = self.http.request(method, url, what, headers=self._headers(), json=body)
        if (
            response.status == 401
            and remint
            and self.credential.kind == OAUTH2
            and not self._reminted
        ):
            self._reminted = True
            self.ctx.warn(
                "The gateway refused the minted token (HTTP 401) on %s %s; minted a new one "
                "and retried once." % (method, safe_url(url))
            )
            self._mint()
            response = self.http.request(method, url, what, headers=self._headers(), json=body)
        if 200 <= response.status < 300 or response.status in allow:
            return response
        raise self.failure(method, url, response, what)

    def json_body(self, method, response, what):
        """The decoded body of a 2xx answer; an empty or non-JSON body is an error."""
        shown = "%s %s" % (method, safe_url(response.url))
        text = response.text or ""
        if not text.strip():
            raise HoopError(
                "%s failed: %s answered HTTP %d with an empty body where JSON was expected. "
                "Check that 'api_url' is the gateway's address and not a proxy or the web "
                "app in front of it." % (what, shown, response.status),
                status=response.status,
                url=safe_url(response.url),
            )
        try:
            return response.json()
        except ValueError:
            raise HoopError(
                "%s failed: %s answered HTTP %d with a body that is not JSON (%s: '%s'). Check "
                "that 'api_url' is the gateway's address and not a proxy or the web app in "
                "front of it."
                % (
                    what,
                    shown,
                    response.status,
                    response.content_type or "no content type",
                    self.http.excerpt(response),
                ),
                status=response.status,
                url=safe_url(response.url),
            ) from None

    def failure(self, method, url, response, what):
        """A HoopError for a refused or failed request, saying what to do next."""
        status = response.status
        message = server_message(response)
        if message is not None:
            told = "'%s'" % self.http.redact(message)
        elif (response.text or "").strip():
            kind = "an HTML page" if "html" in response.content_type else "a non-JSON body"
            told = "%s: '%s'" % (kind, self.http.excerpt(response))
        else:
            told = "an empty body"
        head = "%s failed: %s %s answered HTTP %d with %s." % (
            what,
            method,
            safe_url(url),
            status,
            told,
        )
        advice = self._advice(status, what)
        details = dict(status=status, url=safe_url(url))
        if message is not None:
            details["response_message"] = self.http.redact(message)
        return HoopError(head + " " + advice, **details)

    def _advice(self, status, what):
        label = self.credential.label
        if status == 401:
            again = " (a freshly minted token was refused too)" if self._reminted else ""
            if self.credential.kind == API_KEY:
                causes = (
                    "The key is not one the gateway knows: check that it is the gateway's current "
                    "organisation key (xapi-...) or a managed key (hpk_...) that was not revoked."
                )
            else:
                causes = (
                    "Either the token has expired, its subject is not registered as a user or "
                    "service account (subjects match exactly, case included), that account is "
                    "inactive, or the token comes from another identity provider than the "
                    "gateway's."
                )
            return "The gateway refused %s%s. %s" % (label, again, causes)
        if status == 403:
            return (
                "The gateway accepted %s but its identity is not in group 'admin', which this "
                "request needs (%s). Use an administrator's credential (group 'admin', or the "
                "organisation API key)." % (label, what[:1].lower() + what[1:])
            )
        if status in (400, 422):
            return "The gateway rejected the request's values; correct what it names."
        if status == 404:
            return (
                "Check that 'api_url' is the gateway's address (%s was used) and that the "
                "gateway release has this route." % self.base_url
            )
        if status == 429 or status >= 500:
            return (
                "The gateway is overloaded or failing; the request was retried %d time(s). Try "
                "again later, or raise 'retries'." % self.http.retries
            )
        return "The gateway did not accept the request."

    def list_serviceaccounts(self):
        """Every service account of the organisation; the gateway's ``null`` means none."""
        what = "Reading the service accounts"
        response = self.request("GET", "/serviceaccounts", what)
        data = self.json_body("GET", response, what)
        if data is None:
            return []
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise HoopError(
                "%s failed: GET %s/serviceaccounts answered a %s where a list of service "
                "accounts was expected. Check that 'api_url' is the gateway's address."
                % (what, safe_url(self.api_url), type(data).__name__),
                url=safe_url(self.api_url + "/serviceaccounts"),
            )
        return data

    def userinfo(self, allow=(), remint=True):
        """The HttpResponse of ``GET /api/userinfo``."""
        return self.request(
            "GET", "/userinfo", "Reading the caller's identity", allow=allow, remint=remint
        )
