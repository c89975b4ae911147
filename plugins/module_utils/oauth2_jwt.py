# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything that needs pyjwt or cryptography: reading a token's claims, signing a client
assertion, verifying a token against a key set.

pyjwt and cryptography are imported inside the functions: together they cost more than the
HTTP request of a task, and a task that only moves an opaque token or a client secret never
needs them.
"""

import base64
import hashlib
import time
import uuid

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError

ASSERTION_LIFETIME = 300

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


def _jwt():
    try:
        import jwt
    except ImportError:
        raise HoopError(
            "The Python library 'PyJWT' (with its 'crypto' extra) is required on the host that "
            "runs this task to read or sign tokens. Install it there with "
            "'pip install \"PyJWT[crypto]\"'."
        ) from None
    return jwt


def _serialization():
    try:
        from cryptography.hazmat.primitives import serialization
    except ImportError:
        raise HoopError(
            "The Python library 'cryptography' is required on the host that runs this task for "
            "private_key_jwt. Install it there with 'pip install cryptography'."
        ) from None
    return serialization


def token_shape(token):
    """``jwt``, ``encrypted`` (JWE compact form) or ``opaque``, from the token's parts alone."""
    parts = token.split(".")
    if len(parts) == 3 and all(parts[:2]):
        return "jwt"
    if len(parts) == 5:
        return "encrypted"
    return "opaque"


def read_token(token):
    """(header, claims) of a JWT, unverified, or (None, None) when it is not a readable JWT."""
    if token_shape(token) != "jwt":
        return None, None
    jwt = _jwt()
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.exceptions.InvalidTokenError:
        return None, None
    if not isinstance(claims, dict):
        return None, None
    return header, claims


def _pem_text(value, option):
    """PEM content given directly, or read from the path given."""
    if "-----BEGIN" in value:
        return value
    try:
        with open(value, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError, ValueError):
        # The value is not shown: a mistyped key is still a key.
        raise HoopError(
            "'%s' is neither PEM content nor the path of a readable PEM file on the host that "
            "runs this task. Give the file's path or its content." % option
        ) from None


def load_private_key(value, passphrase=None):
    serialization = _serialization()
    data = _pem_text(value, "private_key").encode("utf-8")
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        return serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if passphrase:
            raise HoopError(
                "'private_key' is not encrypted, but 'private_key_passphrase' is set: remove "
                "the passphrase."
            ) from None
        raise HoopError(
            "'private_key' is encrypted: give its passphrase with 'private_key_passphrase'."
        ) from None
    except ValueError:
        if passphrase and "ENCRYPTED" in data.decode("utf-8", "replace"):
            raise HoopError(
                "'private_key' could not be decrypted with 'private_key_passphrase': check "
                "the passphrase."
            ) from None
        raise HoopError(
            "'private_key' is not a PEM private key that can be read (RSA, EC or Ed25519, "
            "PKCS#8 or traditional format)."
        ) from None
    except Exception:  # noqa: BLE001 - cryptography raises several types for unsupported keys
        raise HoopError("'private_key' holds a key type that cannot be used.") from None


def load_certificate(value):
    """The DER bytes of a PEM certificate given as content or path."""
    from cryptography import x509

    serialization = _serialization()
    text = _pem_text(value, "certificate")
    try:
        cert = x509.load_pem_x509_certificate(text.encode("utf-8"))
    except ValueError:
        raise HoopError("'certificate' is not a PEM X.509 certificate.") from None
    return cert, cert.public_bytes(serialization.Encoding.DER)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprints(cert_der):
    """The ``x5t`` (SHA-1) and ``x5t#S256`` (SHA-256) thumbprints of a DER certificate."""
    # SHA-1 here names a certificate (RFC 7515 x5t); it protects nothing.
    sha1 = hashlib.sha1(cert_der).digest()  # noqa: S324
    return {"x5t": _b64url(sha1), "x5t#S256": _b64url(hashlib.sha256(cert_der).digest())}


def default_algorithm(key):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: "ES256", 384: "ES384", 521: "ES512"}.get(key.curve.key_size, "ES256")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise HoopError("'private_key' must be an RSA, EC or Ed25519 key for private_key_jwt.")


def _same_public_key(private_key, cert):
    serialization = _serialization()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    return private_key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(
        der, spki
    )


class AssertionSigner:
    """Signs RFC 7523 client assertions with a key loaded once per task."""

    def __init__(
        self,
        private_key,
        passphrase=None,
        algorithm=None,
        key_id=None,
        certificate=None,
        thumbprint_header=None,
    ):
        self.key = load_private_key(private_key, passphrase)
        self.algorithm = algorithm or default_algorithm(self.key)
        self.headers = {}
        if key_id:
            self.headers["kid"] = key_id
        if certificate:
            cert, der = load_certificate(certificate)
            if not _same_public_key(self.key, cert):
                raise HoopError(
                    "'certificate' does not belong to 'private_key': give the certificate "
                    "whose public key matches the private key."
                )
            prints = thumbprints(der)
            wanted = thumbprint_header or "both"
            for name in ("x5t", "x5t#S256"):
                if wanted in (name, "both"):
                    self.headers[name] = prints[name]

    def sign(self, client_id, audience, now=None):
        jwt = _jwt()
        now = int(time.time() if now is None else now)
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        try:
            return jwt.encode(claims, self.key, algorithm=self.algorithm, headers=self.headers)
        except (jwt.exceptions.PyJWTError, TypeError, ValueError):
            raise HoopError(
                "'private_key' cannot sign with %s: choose an 'assertion_algorithm' that fits "
                "the key type (RS*/PS* for RSA, ES* for EC, EdDSA for Ed25519)." % self.algorithm
            ) from None


def _usable_keys(jwks, kid, alg):
    jwt = _jwt()
    family = _KEY_TYPES.get(alg[:2])
    keys = []
    for entry in jwks.get("keys") or []:
        if not isinstance(entry, dict):
            continue
        if kid is not None and entry.get("kid") != kid:
            continue
        if entry.get("use") not in (None, "sig"):
            continue
        if entry.get("alg") not in (None, alg):
            continue
        if entry.get("kty") != family:
            continue
        try:
            keys.append(jwt.PyJWK(entry, algorithm=alg))
        except (jwt.exceptions.PyJWKError, jwt.exceptions.InvalidKeyError, ValueError, TypeError):
            continue
    return keys


def verify_token(
    token,
    get_jwks,
    algorithms,
    issuer,
    audience=None,
    leeway=0,
    jwks_url="the key set",
):
    """The verified claims of ``token``; raises HoopError saying why it is not valid.

    ``get_jwks(refresh)`` returns the provider's key set; it is called again with
    ``refresh=True`` once when the token names a key the cached set lacks (key rotation).
    Only ``algorithms`` are accepted, whatever the token's header says.
    """
    jwt = _jwt()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.exceptions.InvalidTokenError:
        raise HoopError(
            "The access token is not a readable JWT, so it cannot be validated."
        ) from None
    alg = header.get("alg")
    if alg not in algorithms:
        raise HoopError(
            "The access token is signed with algorithm %r, which is not in allowed_algorithms "
            "(%s). Add it there only if the provider really signs with it."
            % (alg, ", ".join(algorithms))
        )
    kid = header.get("kid")
    keys = _usable_keys(get_jwks(False), kid, alg)
    if not keys and kid is not None:
        keys = _usable_keys(get_jwks(True), kid, alg)
    if not keys:
        raise HoopError(
            "No key in %s matches the access token (kid %r, algorithm %s): check 'jwks_url' "
            "or 'issuer' point at the provider that issued the token." % (jwks_url, kid, alg)
        )

    options = {"require": ["exp", "iss"], "verify_aud": audience is not None}
    for key in keys:
        try:
            return jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                issuer=issuer,
                audience=audience,
                leeway=leeway,
                options=options,
            )
        except jwt.exceptions.InvalidSignatureError:
            continue
        except jwt.exceptions.ExpiredSignatureError:
            raise HoopError(
                "The access token has expired (beyond a leeway of %d s). If the host's clock "
                "is off, fix it or raise 'leeway'." % leeway
            ) from None
        except jwt.exceptions.ImmatureSignatureError:
            raise HoopError(
                "The access token is not valid yet (iat/nbf in the future beyond a leeway of "
                "%d s): the clocks of this host and the provider disagree; fix the clock or "
                "raise 'leeway'." % leeway
            ) from None
        except jwt.exceptions.InvalidIssuerError:
            raise HoopError(
                "The access token's issuer is not %r: set 'token_issuer' to the 'iss' the "
                "provider puts in its tokens, or check 'issuer'." % issuer
            ) from None
        except jwt.exceptions.InvalidAudienceError:
            raise HoopError(
                "The access token's audience is not %s: check 'expected_audience', or ask the "
                "provider for a token for that audience ('audience' or 'resource')."
                % " or ".join(repr(a) for a in audience)
            ) from None
        except jwt.exceptions.MissingRequiredClaimError as exc:
            raise HoopError(
                "The access token lacks the '%s' claim, so it cannot be validated." % exc.claim
            ) from None
        except jwt.exceptions.InvalidTokenError as exc:
            raise HoopError("The access token is not valid: %s." % type(exc).__name__) from None
    raise HoopError(
        "The access token's signature does not verify with the keys of %s: the token was "
        "altered or comes from another provider." % jwks_url
    )
