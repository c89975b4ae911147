# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OAuth 2.0 client-credentials exchange (RFC 6749 section 4.4).

``TokenClient`` resolves where the token endpoint is (given, discovered, or built by a provider
preset), authenticates the client (client_secret_post, client_secret_basic, private_key_jwt),
reads what the token says about its subject, and optionally verifies it against the provider's
key set. ``run_hoop_token`` is the logic of the hoop_token module.
"""

import base64
import datetime
import ipaddress
import re
import time
from urllib.parse import quote_plus, urlsplit

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import (
    http_client_from_params,
    safe_url,
)
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import (
    ASSERTION_ALGORITHMS,
    DEFAULT_ALLOWED_ALGORITHMS,
    DEFAULT_LEEWAY,
    OAUTH2_ENV,
    oauth2_argument_spec,
)
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_presets import (
    error_hint,
    resolve_preset,
)

GRANT_TYPE = "client_credentials"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DESCRIPTION_LENGTH = 300
_LIST_OPTIONS = ("scope", "resource", "expected_audience", "allowed_algorithms")
# Form fields the client sets itself; extra_params may not override them.
_RESERVED_FIELDS = frozenset(
    (
        "grant_type",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
        "scope",
        "audience",
        "resource",
    )
)

TOKEN_RESULT_KEYS = (
    "access_token",
    "token_type",
    "expires_in",
    "expires_at",
    "scope",
    "claims",
    "subject",
    "format",
    "token_url",
    "subject_problem",
)


def _words(values):
    """A list option flattened: each item may itself hold several space- or comma-separated
    values, as environment variables and scope strings do."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    found = []
    for value in values:
        found.extend(v for v in re.split(r"[\s,]+", str(value)) if v)
    return found


def iso_utc(timestamp):
    """``2026-01-31T12:00:00Z`` for a POSIX timestamp."""
    moment = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_expires_in(value):
    """``expires_in`` as an int; servers send it as a number or as a numeric string."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = int(float(str(value).strip()))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def basic_authorization(client_id, client_secret):
    """The HTTP Basic header value of RFC 6749 section 2.3.1: both parts form-encoded first,
    so that ``:``, ``+``, ``%`` and spaces in a secret survive the trip."""
    pair = "%s:%s" % (quote_plus(client_id, safe=""), quote_plus(client_secret, safe=""))
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _clean(text, limit=DESCRIPTION_LENGTH):
    text = re.sub(r"\s+", " ", str(text)).strip()
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def _is_loopback(url):
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def subject_problem(shape, claims):
    """A sentence saying why the subject is unknown and what usually fixes it, or None."""
    if shape == "encrypted":
        return (
            "The access token is encrypted (JWE), so its subject cannot be read here; the "
            "gateway will need the provider's userinfo endpoint to identify it. Providers "
            "encrypt tokens meant for their own APIs: ask for a token for your own API instead "
            "(with Entra, a scope '<your API's application ID URI>/.default', not Microsoft "
            "Graph)."
        )
    if shape != "jwt" or claims is None:
        return (
            "The access token is opaque (not a JWT), so its subject cannot be read here; the "
            "gateway can only identify it through the provider's userinfo endpoint, and the "
            "service account's subject must be found some other way. Providers issue opaque "
            "tokens when no API is named: with Auth0 set 'audience' to the API identifier; "
            "elsewhere ask for a token for an API ('audience', 'resource' or an API scope) or "
            "configure JWT access tokens."
        )
    sub = claims.get("sub")
    if sub is not None and not isinstance(sub, str):
        return (
            "The access token's 'sub' claim is of type %s, not a string as RFC 7519 requires, so "
            "it cannot be used as a service account's subject. Configure the provider to issue a "
            "string 'sub', or give the subject explicitly." % type(sub).__name__
        )
    if not isinstance(sub, str) or not sub:
        return (
            "The access token is a JWT without a 'sub' claim, so the gateway cannot tie it to a "
            "service account. Keycloak leaves 'sub' out when the client lacks the 'basic' "
            "client scope (Keycloak 25 and later): add 'basic' to the client's default client "
            "scopes. With other providers, configure the token to carry 'sub'."
        )
    return None


class _Settings:
    """The effective client configuration: task options, else environment, else preset."""

    def __init__(self, params, ctx):
        values = dict((name, params.get(name)) for name in oauth2_argument_spec())
        self.from_environment = []
        self.task_client_id = bool(values.get("client_id"))
        if not self.task_client_id:
            for name, env in OAUTH2_ENV.items():
                if values.get(name) in (None, "", []):
                    found = ctx.env(env)
                    if found is not None:
                        values[name] = found
                        self.from_environment.append(env)
        spec = oauth2_argument_spec()
        for name, env in OAUTH2_ENV.items():
            choices = spec[name].get("choices")
            if env in self.from_environment and choices and values[name] not in choices:
                raise HoopError(
                    "%s must be one of %s; it is %r." % (env, ", ".join(choices), values[name])
                )
        for name in _LIST_OPTIONS:
            values[name] = _words(values.get(name))
        self.values = values
        self._check()

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def _where(self, option):
        env = OAUTH2_ENV.get(option)
        if self.task_client_id or not env:
            return "'%s'" % option
        return "'%s' (or %s)" % (option, env)

    def _check(self):
        v = self.values
        if not v.get("client_id"):
            raise HoopError(
                "No OAuth2 client given: set 'client_id' with 'client_secret' or 'private_key' "
                "(or the environment variables HOOP_CLIENT_ID with HOOP_CLIENT_SECRET or "
                "HOOP_PRIVATE_KEY)."
            )
        if v.get("client_secret") and v.get("private_key"):
            raise HoopError(
                "Both a client secret and a private key are set (%s): give only the one the "
                "client is registered with." % self._sources("client_secret", "private_key")
            )
        method = v.get("auth_method")
        if method is None:
            method = "private_key_jwt" if v.get("private_key") else "client_secret_post"
        if method == "private_key_jwt" and not v.get("private_key"):
            raise HoopError(
                "auth_method private_key_jwt needs %s: the client's private key (PEM path or "
                "content)." % self._where("private_key") + self._env_note()
            )
        if method != "private_key_jwt" and not v.get("client_secret"):
            raise HoopError(
                "auth_method %s needs %s: the client's secret (or use 'private_key' for a client "
                "registered with a key)."
                % (method, self._where("client_secret"))
                + self._env_note()
            )
        if method != "private_key_jwt" and v.get("private_key"):
            raise HoopError(
                "'private_key' is set but auth_method is %s: use auth_method private_key_jwt, "
                "or remove the key." % method
            )
        self.values["auth_method"] = method

        self.preset = resolve_preset(v.get("provider"), v)
        if not (v.get("token_url") or v.get("issuer") or self.preset.token_url):
            raise HoopError(
                "Where to ask for tokens is not set: give 'token_url' (the token endpoint), "
                "'issuer' (discovered through /.well-known/openid-configuration) or 'provider' "
                "with its values (for example provider: entra with tenant)."
            )
        if not v["scope"] and self.preset.default_scope:
            v["scope"] = list(self.preset.default_scope)
        if self.preset.needs_scope and not v["scope"]:
            raise HoopError(
                "provider %s needs %s for client credentials: a custom scope defined on the "
                "authorization server." % (self.preset.name, self._where("scope"))
            )
        if self.preset.needs_audience and not v.get("audience"):
            raise HoopError(
                "provider %s needs %s for client credentials: the identifier of the API the "
                "token is for; without it the token is opaque or refused."
                % (self.preset.name, self._where("audience"))
            )

        extra = v.get("extra_params") or {}
        clashes = sorted(set(extra) & _RESERVED_FIELDS)
        if clashes:
            raise HoopError(
                "extra_params may not set %s: use the options of the same name instead."
                % ", ".join(clashes)
            )
        v["extra_params"] = dict((str(k), "" if x is None else str(x)) for k, x in extra.items())

        if v.get("leeway") is None:
            v["leeway"] = DEFAULT_LEEWAY
        if v["leeway"] < 0:
            raise HoopError("'leeway' must be 0 or more seconds.")
        allowed = v["allowed_algorithms"] or list(DEFAULT_ALLOWED_ALGORITHMS)
        unknown = [a for a in allowed if a not in ASSERTION_ALGORITHMS]
        if unknown:
            raise HoopError(
                "allowed_algorithms may only name asymmetric signature algorithms (%s); not %s."
                % (", ".join(ASSERTION_ALGORITHMS), ", ".join(unknown))
            )
        v["allowed_algorithms"] = allowed

    def _sources(self, *options):
        env = [OAUTH2_ENV[o] for o in options if OAUTH2_ENV[o] in self.from_environment]
        if env:
            return "environment variables " + ", ".join(env)
        return "options " + ", ".join("'%s'" % o for o in options)

    def _env_note(self):
        if self.task_client_id:
            return (
                " Environment variables are not read because the task sets 'client_id'; "
                "credentials come from one place."
            )
        return ""


class TokenClient:
    """Obtains client-credentials tokens for one configured client."""

    def __init__(self, settings, ctx, http):
        self.settings = settings
        self.ctx = ctx
        self.http = http
        self._discovery = None
        self._jwks = None
        self._signer = None
        http.add_secret(settings.client_secret)
        http.add_secret(settings.private_key_passphrase)
        if settings.private_key and "-----BEGIN" in settings.private_key:
            http.add_secret(settings.private_key)

    @classmethod
    def from_params(cls, params, ctx, http):
        """A client for validated module params; environment fallbacks apply only when the
        task gave no ``client_id``."""
        return cls(_Settings(params, ctx), ctx, http)

    # Endpoints

    @property
    def issuer(self):
        return self.settings.issuer or self.settings.preset.issuer

    def discovery(self):
        """The issuer's metadata: OpenID Connect discovery, else RFC 8414."""
        if self._discovery is not None:
            return self._discovery
        issuer = self.settings.issuer
        if not issuer:
            raise HoopError("Discovery needs 'issuer'.")
        base = issuer.rstrip("/")
        parts = urlsplit(base)
        candidates = [base + "/.well-known/openid-configuration"]
        if parts.path:
            candidates.append(
                "%s://%s/.well-known/oauth-authorization-server%s"
                % (parts.scheme, parts.netloc, parts.path)
            )
        candidates.append(base + "/.well-known/oauth-authorization-server")
        tried = []
        for url in candidates:
            response = self.http.request("GET", url, "discovery request")
            tried.append("%s (HTTP %d)" % (safe_url(url), response.status))
            if response.status != 200:
                continue
            try:
                document = response.json()
            except ValueError:
                continue
            if isinstance(document, dict) and document.get("token_endpoint"):
                self._discovery = document
                return document
        raise HoopError(
            "No authorization server metadata with a token_endpoint was found for issuer %s; "
            "tried %s. Check 'issuer' (the provider's issuer URL, without /.well-known/...), or "
            "give 'token_url' directly." % (safe_url(issuer), "; ".join(tried)),
            url=safe_url(issuer),
        )

    def token_endpoint(self):
        url = self.settings.token_url or self.settings.preset.token_url
        if not url:
            url = self.discovery()["token_endpoint"]
        if urlsplit(url).scheme not in ("http", "https"):
            raise HoopError(
                "The token endpoint %s is not an http:// or https:// URL: check 'token_url' or "
                "'issuer'." % safe_url(url)
            )
        if urlsplit(url).scheme == "http" and not _is_loopback(url):
            self.ctx.warn(
                "The token endpoint %s is plain http: the client's credentials and the token "
                "travel unencrypted. Use https." % safe_url(url)
            )
        return url

    # The request

    def _form(self, token_url):
        s = self.settings
        form = [("grant_type", GRANT_TYPE)]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if s.auth_method == "client_secret_basic":
            headers["Authorization"] = basic_authorization(s.client_id, s.client_secret)
        elif s.auth_method == "client_secret_post":
            form += [("client_id", s.client_id), ("client_secret", s.client_secret)]
        else:
            form += [
                ("client_id", s.client_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", self._assertion(token_url)),
            ]
        if s.scope:
            form.append(("scope", " ".join(s.scope)))
        if s.audience:
            form.append(("audience", s.audience))
        form += [("resource", r) for r in s.resource]
        form += sorted(s.extra_params.items())
        return form, headers

    def _assertion(self, token_url):
        from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_jwt import (
            AssertionSigner,
        )

        s = self.settings
        if self._signer is None:
            self._signer = AssertionSigner(
                s.private_key,
                passphrase=s.private_key_passphrase,
                algorithm=s.assertion_algorithm,
                key_id=s.key_id,
                certificate=s.certificate,
                thumbprint_header=s.thumbprint_header,
            )
        assertion = self._signer.sign(s.client_id, s.assertion_audience or token_url)
        self.http.add_secret(assertion)
        return assertion

    def fetch(self):
        """Ask for a token; returns the token and what it says, or raises HoopError."""
        token_url = self.token_endpoint()
        form, headers = self._form(token_url)
        asked_at = time.time()
        response = self.http.request("POST", token_url, "token request", headers=headers, data=form)
        body = self._token_body(response, token_url)

        token = body["access_token"]
        self.http.add_secret(token)
        shape, claims = self._read(token)
        expires_in = parse_expires_in(body.get("expires_in"))
        expires_at = asked_at + expires_in if expires_in is not None else None
        if expires_in is None and claims and isinstance(claims.get("exp"), (int, float)):
            expires_at = claims["exp"]
            expires_in = max(0, int(expires_at - asked_at))
        granted = body.get("scope")
        if isinstance(granted, list):
            granted = " ".join(str(g) for g in granted)
        if not granted and self.settings.scope:
            # RFC 6749 section 5.1: an omitted scope is the scope that was asked for.
            granted = " ".join(self.settings.scope)

        if self.settings.validate_token:
            claims = self.verify(token, shape)

        sub = (claims or {}).get("sub")
        return {
            "access_token": token,
            "token_type": body.get("token_type") or "Bearer",
            "expires_in": expires_in,
            "expires_at": iso_utc(expires_at) if expires_at is not None else None,
            "scope": granted or None,
            "claims": claims or {},
            "subject": sub if isinstance(sub, str) and sub else None,
            "format": "jwt" if shape == "jwt" and claims is not None else "opaque",
            "token_url": safe_url(token_url),
            "subject_problem": subject_problem(shape, claims),
        }

    @staticmethod
    def _read(token):
        from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_jwt import (
            read_token,
            token_shape,
        )

        shape = token_shape(token)
        if shape != "jwt":
            return shape, None
        _header, claims = read_token(token)
        return ("jwt" if claims is not None else "opaque"), claims

    def _token_body(self, response, token_url):
        shown = safe_url(token_url)
        try:
            body = response.json()
        except ValueError:
            body = None

        if 200 <= response.status < 300:
            if not isinstance(body, dict):
                raise HoopError(
                    "The token endpoint %s answered HTTP %d with %s instead of JSON: %s. A proxy "
                    "or a login page may stand in front of it; check 'token_url'."
                    % (
                        shown,
                        response.status,
                        response.content_type or "no content type",
                        self.http.excerpt(response) or "(empty body)",
                    ),
                    status=response.status,
                    url=shown,
                )
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise HoopError(
                    "The token endpoint %s answered HTTP %d without an access_token: check that "
                    "'token_url' is an OAuth 2.0 token endpoint." % (shown, response.status),
                    status=response.status,
                    url=shown,
                )
            return body

        if isinstance(body, dict) and isinstance(body.get("error"), str):
            error = body["error"]
            description = body.get("error_description")
            description = self.http.redact(_clean(description)) if description else ""
            hint = error_hint(error, description)
            raise HoopError(
                "The token endpoint %s refused the request (HTTP %d, %s%s).%s"
                % (
                    shown,
                    response.status,
                    error,
                    ": " + description if description else "",
                    " " + hint if hint else "",
                ),
                status=response.status,
                url=shown,
                error=error,
                error_description=description or None,
            )

        excerpt = self.http.excerpt(response)
        raise HoopError(
            "The token endpoint %s answered HTTP %d with %s that is not an OAuth 2.0 error%s. "
            "A proxy or load balancer may stand in front of it; check 'token_url' and the "
            "provider's status."
            % (
                shown,
                response.status,
                response.content_type or "a body",
                ": " + excerpt if excerpt else "",
            ),
            status=response.status,
            url=shown,
        )

    # Verification

    def jwks_url(self):
        url = self.settings.jwks_url or self.settings.preset.jwks_url
        if url:
            return url
        if self.settings.issuer:
            found = self.discovery().get("jwks_uri")
            if found:
                return found
            raise HoopError(
                "The metadata of issuer %s has no jwks_uri: give 'jwks_url' to validate tokens."
                % safe_url(self.settings.issuer)
            )
        raise HoopError(
            "validate_token needs the provider's key set: give 'jwks_url', or 'issuer' to find "
            "it through discovery."
        )

    def expected_issuer(self):
        s = self.settings
        if s.token_issuer:
            return s.token_issuer
        if s.issuer and not (s.jwks_url or s.preset.jwks_url):
            return self.discovery().get("issuer") or s.issuer
        issuer = s.issuer or s.preset.issuer
        if issuer:
            return issuer
        raise HoopError(
            "validate_token needs the issuer the tokens name in 'iss': give 'token_issuer' or "
            "'issuer'."
        )

    def _get_jwks(self, refresh):
        if self._jwks is not None and not refresh:
            return self._jwks
        url = self.jwks_url()
        response = self.http.request("GET", url, "JWKS request")
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.status != 200 or not isinstance(document, dict):
            raise HoopError(
                "The key set %s answered HTTP %d%s; it is needed to validate the token. Check "
                "'jwks_url' or 'issuer'."
                % (
                    safe_url(url),
                    response.status,
                    " without JSON" if document is None else "",
                ),
                status=response.status,
                url=safe_url(url),
            )
        self._jwks = document
        return document

    def verify(self, token, shape=None):
        """The verified claims of ``token``, checked against the provider's key set."""
        from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_jwt import (
            token_shape,
            verify_token,
        )

        shape = shape or token_shape(token)
        if shape != "jwt":
            raise HoopError(
                "validate_token is on, but the access token is %s, not a signed JWT, so it "
                "cannot be validated here. Turn validate_token off for this provider (the "
                "gateway checks such tokens through userinfo)." % shape
            )
        s = self.settings
        return verify_token(
            token,
            self._get_jwks,
            algorithms=s.allowed_algorithms,
            issuer=self.expected_issuer(),
            audience=s.expected_audience or None,
            leeway=s.leeway,
            jwks_url=safe_url(self.jwks_url()),
        )


def run_hoop_token(params, ctx):
    """The hoop_token module: fetch one token, report it; changes nothing anywhere."""
    http = http_client_from_params(params, ctx)
    client = TokenClient.from_params(params, ctx, http)
    token = client.fetch()
    if token["subject_problem"]:
        ctx.warn(token["subject_problem"])
    result = dict((key, token[key]) for key in TOKEN_RESULT_KEYS)
    result["changed"] = False
    return result
