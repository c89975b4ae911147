# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP client for the token endpoint and the gateway.

It owns what both need the same way: TLS settings, timeouts, bounded retries on transient
failures, no redirects, and failure messages that name the request without leaking secrets.
Interpreting a 4xx answer is left to the caller, who knows what the route means.
"""

import email.utils
import os
import re
import time
import traceback
import warnings

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError

try:
    import requests

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from urllib.parse import urlsplit, urlunsplit

USER_AGENT = "hoop.gateway-ansible"
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 1.0
DEFAULT_MAX_RETRY_AFTER = 30.0
EXCERPT_LENGTH = 200
SHORT_SECRET = 8


def safe_url(url):
    """The URL without credentials in the authority nor a query string or fragment.

    Query strings can carry keys (``?api_key=``); a URL shown in a message never needs them.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def body_excerpt(text, limit=EXCERPT_LENGTH):
    """A short, single-line, tag-free excerpt of a response body for error messages."""
    if not text:
        return ""
    text = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", text)
    text = re.sub(r"(?s)<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class HttpResponse:
    """The parts of an answer callers use, decoupled from requests."""

    def __init__(self, status, headers, text, url):
        self.status = status
        self.headers = headers
        self.text = text
        self.url = url

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json(self):
        """The decoded JSON body; raises ValueError when the body is not JSON."""
        import json

        return json.loads(self.text)


class HttpClient:
    """Sends requests with retries; raises HoopError for anything that is not an answer.

    ``secrets`` are strings that must never appear in a message, whatever the server echoes
    back; they are masked in excerpts before anything is raised.
    """

    def __init__(
        self,
        validate_certs=True,
        ca_path=None,
        timeout=30,
        retries=DEFAULT_RETRIES,
        backoff=DEFAULT_BACKOFF,
        max_retry_after=DEFAULT_MAX_RETRY_AFTER,
        user_agent=None,
        warn=None,
        sleep=time.sleep,
    ):
        if not HAS_REQUESTS:
            raise HoopError(
                "The Python library 'requests' is required on the host that runs this task. "
                "Install it there with 'pip install requests'.",
            )
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.user_agent = user_agent or USER_AGENT
        self.secrets = set()
        self._warn = warn or (lambda message: None)
        self._sleep = sleep
        self._session = requests.Session()
        # Proxies and credentials from ~/.netrc must not change where secrets are sent.
        self._session.trust_env = False

    def add_secret(self, value):
        if value:
            self.secrets.add(str(value))

    def redact(self, text):
        for secret in sorted(self.secrets, key=len, reverse=True):
            if not secret or secret not in text:
                continue
            if len(secret) >= SHORT_SECRET:
                text = text.replace(secret, "********")
            else:
                # A short secret also occurs inside ordinary words; masking those would
                # garble the message and show where the secret's letters are.
                pattern = r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(secret)
                text = re.sub(pattern, "********", text)
        return text

    def excerpt(self, response):
        return self.redact(body_excerpt(response.text))

    @property
    def verify(self):
        if not self.validate_certs:
            return False
        return self.ca_path or True

    def request(self, method, url, what, headers=None, data=None, json=None, auth=None):
        """Send one request, retrying transient failures; return the final HttpResponse.

        ``what`` names the operation for messages ("token request", "GET service accounts").
        Redirects are never followed: credentials must not travel to another address, so a
        3xx is a failure that names the new location.
        """
        all_headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        all_headers.update(headers or {})
        shown = "%s %s" % (method, safe_url(url))
        attempt = 0
        while True:
            attempt += 1
            try:
                with warnings.catch_warnings():
                    # validate_certs: false is warned about once, in the task's own words;
                    # urllib3 would repeat it on stderr for every request.
                    warnings.simplefilter("ignore")
                    raw = self._send(method, url, all_headers, data, json, auth)
            except requests.exceptions.RequestException as exc:
                reason = self._describe_exception(exc)
                if attempt <= self.retries and self._retryable_exception(exc):
                    delay = self._delay(attempt, None)
                    self._warn(
                        "%s failed (%s); retrying in %.1f s (retry %d of %d)."
                        % (what, reason, delay, attempt, self.retries)
                    )
                    self._sleep(delay)
                    continue
                raise HoopError(
                    "%s failed: %s (%s). %s" % (what, reason, shown, self._advice(exc)),
                    url=safe_url(url),
                ) from None

            response = HttpResponse(raw.status_code, raw.headers, raw.text, url)
            if response.status in RETRY_STATUSES and attempt <= self.retries:
                wait = parse_retry_after(raw.headers.get("Retry-After"))
                delay = self._delay(attempt, wait)
                self._warn(
                    "%s answered HTTP %d; retrying in %.1f s (retry %d of %d)."
                    % (shown, response.status, delay, attempt, self.retries)
                )
                self._sleep(delay)
                continue
            if 300 <= response.status < 400:
                location = raw.headers.get("Location")
                raise HoopError(
                    "%s failed: %s answered a redirect (HTTP %d) to %s. Redirects are not "
                    "followed so that credentials are not sent elsewhere; if that address is the "
                    "right server, use it instead."
                    % (what, shown, response.status, safe_url(location or "?")),
                    status=response.status,
                    url=safe_url(url),
                    location=safe_url(location) if location else None,
                )
            return response

    def _send(self, method, url, headers, data, json, auth):
        return self._session.request(
            method,
            url,
            headers=headers,
            data=data,
            json=json,
            auth=auth,
            timeout=self.timeout,
            verify=self.verify,
            allow_redirects=False,
        )

    def _delay(self, attempt, retry_after):
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return min(self.backoff * (2 ** (attempt - 1)), self.max_retry_after)

    @staticmethod
    def _retryable_exception(exc):
        # A TLS failure does not heal by retrying; a refused connection or timeout may.
        if isinstance(exc, requests.exceptions.SSLError):
            return False
        return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout))

    @staticmethod
    def _describe_exception(exc):
        text = str(exc)
        if isinstance(exc, requests.exceptions.SSLError):
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
                return "TLS certificate verification failed"
            return "TLS handshake failed"
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return "connection timed out"
        if isinstance(exc, requests.exceptions.Timeout):
            return "no answer within the timeout"
        if isinstance(exc, requests.exceptions.ConnectionError):
            lowered = text.lower()
            if (
                "name or service not known" in lowered
                or "nodename nor servname" in lowered
                or "failed to resolve" in lowered
                or "name resolution" in lowered
                or "getaddrinfo failed" in lowered
            ):
                return "DNS lookup failed"
            if "connection refused" in lowered:
                return "connection refused"
            return "connection failed"
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
            return "invalid URL"
        if isinstance(exc, requests.exceptions.InvalidSchema):
            return "unsupported URL scheme"
        return type(exc).__name__

    @staticmethod
    def _advice(exc):
        if isinstance(exc, requests.exceptions.SSLError):
            return (
                "Give the CA bundle that signed the server's certificate with 'ca_path', or, "
                "for a test server only, set 'validate_certs: false'."
            )
        if isinstance(exc, requests.exceptions.Timeout):
            return "Check that the server is up, or raise 'timeout'."
        if isinstance(
            exc,
            (
                requests.exceptions.InvalidURL,
                requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema,
            ),
        ):
            return "Give a full http:// or https:// URL."
        return "Check the URL and that the server is reachable from the host running the task."


def http_argument_spec():
    """Options every plugin that speaks HTTP takes, spelled the same everywhere."""
    return dict(
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path", aliases=["tls_ca"]),
        timeout=dict(type="float", default=30.0),
        retries=dict(type="int", default=DEFAULT_RETRIES),
        http_agent=dict(type="str"),
    )


def http_client_from_params(params, ctx):
    """An HttpClient for validated params; ``ca_path`` falls back to ``HOOP_TLSCA``."""
    ca_path = params.get("ca_path") or ctx.env("HOOP_TLSCA")
    if ca_path and not os.path.isfile(ca_path):
        source = "'ca_path'" if params.get("ca_path") else "HOOP_TLSCA"
        raise HoopError(
            "The CA bundle %s given in %s is not a readable file. Give the path of a PEM file "
            "holding the certificate(s) of the CA that signed the server's certificate."
            % (ca_path, source)
        )
    if not params.get("validate_certs", True):
        ctx.warn(
            "TLS certificate verification is off (validate_certs: false): anyone on the path "
            "can read the credentials sent. Use it only against a test server; give the CA "
            "bundle with 'ca_path' instead."
        )
    if params.get("timeout") is not None and params["timeout"] <= 0:
        raise HoopError("'timeout' must be a positive number of seconds.")
    if params.get("retries") is not None and params["retries"] < 0:
        raise HoopError("'retries' must be 0 or more.")
    return HttpClient(
        validate_certs=params.get("validate_certs", True),
        ca_path=ca_path,
        timeout=params.get("timeout") or 30.0,
        retries=DEFAULT_RETRIES if params.get("retries") is None else params["retries"],
        user_agent=params.get("http_agent"),
        warn=ctx.warn,
    )
