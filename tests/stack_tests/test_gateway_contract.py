"""The local gateway against the Hoop gateway's documented behaviour and its Swagger slice.

hoop-openapi.json beside this file is the matching part of the gateway's own Swagger 2.0
document (hoophq/hoop, MIT).

Each test drives a real gateway process on 127.0.0.1 with tokens from the stack's real
authorization server, and checks status, body and the body's schema.
"""

import json
import sqlite3
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import jsonschema
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from hoopstack.gateway_proc import GatewayProcess

OPENAPI_FILE = Path(__file__).resolve().parent / "hoop-openapi.json"

LEGACY_ORG = "0d5f3a2e-7c1b-4e2a-9f3d-5b6c7d8e9f01"
LEGACY_KEY = LEGACY_ORG + "|legacy-org-secret-value"
ORG_KEY = "xapi-contract-tests-org-key"
DENIED = {"message": "access denied"}


# -- schemas -----------------------------------------------------------------------------------


def _definitions():
    spec = json.loads(OPENAPI_FILE.read_text())
    definitions = spec["definitions"]
    # The gateway documents the role "auditor" for members of group auditor; the Swagger slice
    # lists only admin, standard and unregistered, so the contract's value is added here.
    role = definitions["openapi.UserInfo"]["properties"]["role"]
    role["enum"] = role["enum"] + ["auditor"]
    return spec, definitions


SPEC, DEFINITIONS = _definitions()
FORMATS = jsonschema.FormatChecker(formats=["uuid"])


def _schema_for(method, route, status):
    responses = SPEC["paths"][route][method.lower()]["responses"]
    schema = dict(responses[str(status)]["schema"])
    if method == "GET" and route == "/serviceaccounts":
        # An organisation without service accounts answers the literal null.
        schema = {"type": ["array", "null"], "items": schema["items"]}
    return {"definitions": DEFINITIONS, **schema}


def check(response, status, route, body=None):
    """Assert status, that the body matches the route's schema, and (if given) the body."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    payload = response.json()
    jsonschema.Draft4Validator(
        _schema_for(response.request.method, route, status), format_checker=FORMATS
    ).validate(payload)
    if body is not None:
        assert payload == body
    return payload


def sa_id(subject):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "serviceaccount/" + subject))


# -- servers and tokens ------------------------------------------------------------------------


def _introspection(stack):
    client = stack.describe().get("introspection_client")
    return (client["client_id"], client["client_secret"]) if client else None


def _start_gateway(stack, state_dir, **kwargs):
    return GatewayProcess(
        str(state_dir),
        issuer=stack.issuer,
        introspection=_introspection(stack),
        issuer_ca=stack.ca_path,
        **kwargs,
    ).start()


@pytest.fixture(scope="module")
def gw(stack, tmp_path_factory):
    gateway = _start_gateway(
        stack, tmp_path_factory.mktemp("gateway"), api_keys=[ORG_KEY, LEGACY_KEY]
    )
    yield gateway
    gateway.stop()


@pytest.fixture(autouse=True)
def _clean(request):
    if "gw" in request.fixturenames:
        gateway = request.getfixturevalue("gw")
        gateway.control("POST", "reset")
        gateway.control("DELETE", "requests")


class Api:
    """Small client of one gateway with one credential."""

    def __init__(self, url, headers):
        self.url = url + "/api"
        self.headers = headers

    def _call(self, method, path, body=None, data=None, **kwargs):
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        return requests.request(
            method, self.url + path, headers=headers, json=body, data=data, timeout=15, **kwargs
        )

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, body=None, data=None):
        return self._call("POST", path, body, data)

    def put(self, subject, body=None, data=None):
        return self._call("PUT", "/serviceaccounts/" + quote(subject, safe=""), body, data)


def token_response(stack, name):
    client = stack.clients[name]
    form = {"grant_type": "client_credentials"}
    auth = None
    if client["auth_method"] == "client_secret_basic":
        auth = (quote(client["client_id"], safe=""), quote(client["client_secret"], safe=""))
    else:
        form.update(client_id=client["client_id"], client_secret=client["client_secret"])
    response = requests.post(
        stack.token_url, data=form, auth=auth, timeout=15, verify=stack.ca_path or True
    )
    assert response.status_code == 200, response.text
    return response.json()


_TOKENS = {}


def token(stack, name):
    """An access token of client name, reused while it has more than 30 s to live."""
    cached = _TOKENS.get((stack.issuer, name))
    if cached and cached[1] > time.time() + 30:
        return cached[0]
    answer = token_response(stack, name)
    _TOKENS[(stack.issuer, name)] = (answer["access_token"], time.time() + answer["expires_in"])
    return answer["access_token"]


def bearer(gateway, value):
    return Api(gateway.url, {"Authorization": "Bearer " + value})


def as_client(gateway, stack, name):
    return bearer(gateway, token(stack, name))


def admin_key(gateway, key=ORG_KEY):
    return Api(gateway.url, {"Api-Key": key})


def subject_of(stack, name):
    return stack.clients[name]["expected_sub"]


def register(gateway, subject, groups=(), status="active", name="robot"):
    body = {"subject": subject, "status": status, "name": name, "groups": list(groups)}
    response = admin_key(gateway).post("/serviceaccounts", body)
    assert response.status_code == 201, response.text
    return response.json()


def stored(gateway, subject):
    accounts = admin_key(gateway).get("/serviceaccounts").json() or []
    return next((a for a in accounts if a["subject"] == subject), None)


def forged_token(stack, claims, kid=None, key=None, algorithm="RS256"):
    """A token with a kid the issuer uses but signed by a key the issuer never had."""
    if kid is None:
        kid = jwt.get_unverified_header(token(stack, "demo"))["kid"]
    if key is None and algorithm != "none":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = {"iss": stack.issuer, "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


# -- authentication ----------------------------------------------------------------------------


def test_org_api_key_header_acts_as_admin(gw):
    check(admin_key(gw).get("/serviceaccounts"), 200, "/serviceaccounts", None)
    created = check(
        admin_key(gw).post("/serviceaccounts", {"subject": "svc-a", "status": "active"}),
        201,
        "/serviceaccounts",
    )
    assert created["subject"] == "svc-a"


def test_wrong_api_key_is_401_unauthorize(gw):
    response = admin_key(gw, "xapi-not-the-key").get("/serviceaccounts")
    assert response.status_code == 401
    assert response.json() == {"message": "unauthorize"}


def test_api_key_header_is_tried_before_the_bearer(gw, stack):
    register(gw, subject_of(stack, "demo"), status="inactive")
    both = {"Api-Key": ORG_KEY, "Authorization": "Bearer " + token(stack, "demo")}
    check(Api(gw.url, both).get("/serviceaccounts"), 200, "/serviceaccounts")

    register(gw, subject_of(stack, "admin"), groups=["admin"])
    wrong_key = {"Api-Key": "xapi-wrong", "Authorization": "Bearer " + token(stack, "admin")}
    response = Api(gw.url, wrong_key).get("/serviceaccounts")
    assert response.status_code == 401
    assert response.json() == {"message": "unauthorize"}


def test_legacy_org_key_form_is_accepted(gw):
    check(admin_key(gw, LEGACY_KEY).get("/serviceaccounts"), 200, "/serviceaccounts", None)
    created = admin_key(gw, LEGACY_KEY).post(
        "/serviceaccounts", {"subject": "legacy-made", "status": "active"}
    )
    assert check(created, 201, "/serviceaccounts")["org_id"] == LEGACY_ORG


def test_org_key_as_bearer_acts_as_admin(gw):
    created = bearer(gw, ORG_KEY).post("/serviceaccounts", {"subject": "b", "status": "active"})
    check(created, 201, "/serviceaccounts")
    info = check(bearer(gw, LEGACY_KEY).get("/userinfo"), 200, "/userinfo")
    assert info["role"] == "admin"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer xapi-looks-like-an-org-key"},
        {"Authorization": "Bearer not-a-token-the-issuer-knows"},
    ],
    ids=["none", "basic", "empty-bearer", "wrong-org-key", "unknown-opaque"],
)
def test_missing_or_unknown_credentials_are_denied(gw, headers):
    for response in (
        Api(gw.url, headers).get("/serviceaccounts"),
        Api(gw.url, headers).get("/userinfo"),
    ):
        assert response.status_code == 401
        assert response.json() == DENIED


def test_managed_api_key_with_admin_group_may_write(gw):
    key = gw.control("POST", "apikeys", json={"name": "ci", "groups": ["admin"]})["key"]
    assert key.startswith("hpk_")
    created = bearer(gw, key).post("/serviceaccounts", {"subject": "by-hpk", "status": "active"})
    check(created, 201, "/serviceaccounts")
    info = check(bearer(gw, key).get("/userinfo"), 200, "/userinfo")
    assert (info["role"], info["is_admin"]) == ("admin", True)


def test_managed_api_key_without_admin_group_reads_only(gw):
    key = gw.control("POST", "apikeys", json={"name": "reader", "groups": ["sre"]})["key"]
    check(bearer(gw, key).get("/serviceaccounts"), 200, "/serviceaccounts", None)
    response = bearer(gw, key).post("/serviceaccounts", {"subject": "x", "status": "active"})
    assert (response.status_code, response.json()) == (403, DENIED)


def test_unknown_or_inactive_managed_api_key_is_401(gw):
    dead = gw.control(
        "POST", "apikeys", json={"name": "old", "groups": ["admin"], "status": "inactive"}
    )
    for key in ("hpk_unknownkeyvalue", dead["key"]):
        response = bearer(gw, key).get("/serviceaccounts")
        assert (response.status_code, response.json()) == (401, DENIED)


def test_jwt_of_registered_admin_may_write(gw, stack):
    register(gw, subject_of(stack, "admin"), groups=["admin"])
    api = as_client(gw, stack, "admin")
    check(
        api.post("/serviceaccounts", {"subject": "from-jwt", "status": "active"}),
        201,
        "/serviceaccounts",
    )


def test_jwt_of_unregistered_subject_is_401(gw, stack):
    response = as_client(gw, stack, "demo").get("/serviceaccounts")
    assert (response.status_code, response.json()) == (401, DENIED)


def test_subject_match_is_exact_and_case_sensitive(gw, stack):
    register(gw, subject_of(stack, "demo").upper(), groups=["admin"])
    register(gw, subject_of(stack, "demo") + " ", groups=["admin"])
    response = as_client(gw, stack, "demo").get("/serviceaccounts")
    assert (response.status_code, response.json()) == (401, DENIED)


def test_jwt_signed_by_another_key_is_401(gw, stack):
    subject = subject_of(stack, "admin")
    register(gw, subject, groups=["admin"])
    response = bearer(gw, forged_token(stack, {"sub": subject})).get("/serviceaccounts")
    assert (response.status_code, response.json()) == (401, DENIED)


def test_jwt_with_tampered_payload_is_401(gw, stack):
    register(gw, "someone-else", groups=["admin"])
    original = token(stack, "demo")
    header, _payload, signature = original.split(".")
    claims = jwt.decode(original, options={"verify_signature": False})
    claims["sub"] = "someone-else"
    claims = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    response = bearer(gw, ".".join([header, claims, signature])).get("/serviceaccounts")
    assert (response.status_code, response.json()) == (401, DENIED)


def test_jwt_with_disallowed_algorithm_is_401(gw, stack):
    subject = subject_of(stack, "admin")
    register(gw, subject, groups=["admin"])
    hmac_token = forged_token(stack, {"sub": subject}, key="k" * 32, algorithm="HS256")
    unsigned = forged_token(stack, {"sub": subject}, key=None, algorithm="none")
    for value in (hmac_token, unsigned):
        response = bearer(gw, value).get("/serviceaccounts")
        assert (response.status_code, response.json()) == (401, DENIED)


def test_jwt_without_sub_is_401(gw, stack):
    nosub = token(stack, "nosub")
    assert "sub" not in jwt.decode(nosub, options={"verify_signature": False})
    for path in ("/serviceaccounts", "/userinfo"):
        response = bearer(gw, nosub).get(path)
        assert (response.status_code, response.json()) == (401, DENIED)


def test_expired_jwt_is_401(gw, stack):
    register(gw, subject_of(stack, "shortlived"))
    short = token_response(stack, "shortlived")["access_token"]
    api = bearer(gw, short)
    check(api.get("/serviceaccounts"), 200, "/serviceaccounts")
    expiry = jwt.decode(short, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expiry - time.time()) + 1.5)
    response = api.get("/serviceaccounts")
    assert (response.status_code, response.json()) == (401, DENIED)


def test_opaque_token_is_resolved_through_the_issuer(gw, stack):
    opaque = token(stack, "opaque")
    assert opaque.count(".") != 2
    register(gw, subject_of(stack, "opaque"), groups=["admin"])
    info = check(bearer(gw, opaque).get("/userinfo"), 200, "/userinfo")
    assert info["email"] == subject_of(stack, "opaque")
    check(bearer(gw, opaque).get("/serviceaccounts"), 200, "/serviceaccounts")


def test_opaque_token_without_introspection_credentials_is_401(stack, tmp_path):
    # Without introspection the gateway can only ask the userinfo endpoint, which does not
    # answer for client-credentials tokens: the token cannot be tied to an identity.
    gateway = GatewayProcess(str(tmp_path), issuer=stack.issuer, api_keys=[ORG_KEY]).start()
    try:
        register(gateway, subject_of(stack, "opaque"), groups=["admin"])
        for path in ("/serviceaccounts", "/userinfo"):
            response = as_client(gateway, stack, "opaque").get(path)
            assert (response.status_code, response.json()) == (401, DENIED)
    finally:
        gateway.stop()


@pytest.mark.parametrize("provider", ["entra", "auth0", "keycloak"])
def test_provider_tokens_match_on_their_own_sub_not_the_client_id(gw, stack, provider):
    client = stack.clients[provider]
    assert client["expected_sub"] != client["client_id"]
    register(gw, client["client_id"])
    response = as_client(gw, stack, provider).get("/serviceaccounts")
    assert (response.status_code, response.json()) == (401, DENIED)

    register(gw, client["expected_sub"])
    check(as_client(gw, stack, provider).get("/serviceaccounts"), 200, "/serviceaccounts")


@pytest.mark.parametrize("credential", ["jwt", "opaque"])
def test_inactive_account_is_401_on_every_route(gw, stack, credential):
    name = {"jwt": "admin", "opaque": "opaque"}[credential]
    subject = subject_of(stack, name)
    register(gw, subject, groups=["admin"], status="inactive")
    api = as_client(gw, stack, name)
    answers = [
        api.get("/serviceaccounts"),
        api.post("/serviceaccounts", {"subject": "new", "status": "active"}),
        api.put(subject, {"status": "active"}),
        api.get("/userinfo"),
        api.get("/users/groups"),
    ]
    for response in answers:
        assert (response.status_code, response.json()) == (401, DENIED)
    assert stored(gw, subject)["status"] == "inactive"


def test_standard_member_reads_but_may_not_write(gw, stack):
    subject = subject_of(stack, "demo")
    register(gw, subject, groups=["sre"])
    api = as_client(gw, stack, "demo")
    listed = check(api.get("/serviceaccounts"), 200, "/serviceaccounts")
    assert [a["subject"] for a in listed] == [subject]
    for response in (
        api.post("/serviceaccounts", {"subject": "x", "status": "active"}),
        api.put(subject, {"status": "active", "groups": ["admin"]}),
    ):
        assert (response.status_code, response.json()) == (403, DENIED)
    assert stored(gw, subject)["groups"] == ["sre"]


def test_auditor_reads_but_may_not_write(gw, stack):
    register(gw, subject_of(stack, "demo"), groups=["auditor"])
    api = as_client(gw, stack, "demo")
    check(api.get("/serviceaccounts"), 200, "/serviceaccounts")
    response = api.post("/serviceaccounts", {"subject": "x", "status": "active"})
    assert (response.status_code, response.json()) == (403, DENIED)


# -- userinfo ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["admin", "sre"], "admin"),
        (["auditor"], "auditor"),
        (["sre"], "standard"),
        ([], "standard"),
    ],
)
def test_userinfo_of_a_service_account(gw, stack, groups, role):
    subject = subject_of(stack, "demo")
    register(gw, subject, groups=groups, name="Demo Robot")
    info = check(as_client(gw, stack, "demo").get("/userinfo"), 200, "/userinfo")
    assert info["email"] == subject
    assert info["name"] == "Demo Robot"
    assert sorted(info["groups"]) == sorted(groups)
    assert info["role"] == role
    assert info["is_admin"] is (role == "admin")
    assert info["status"] == "active"
    assert info["org_id"] == LEGACY_ORG
    assert info["id"] == sa_id(subject)
    for key in ("org_name", "tenancy_type"):
        assert key in info


def test_userinfo_of_an_unregistered_identity(gw, stack):
    info = check(as_client(gw, stack, "demo").get("/userinfo"), 200, "/userinfo")
    assert info["role"] == "unregistered"
    assert info["email"] == subject_of(stack, "demo")
    assert info["is_admin"] is False


# -- GET /api/serviceaccounts ------------------------------------------------------------------


def test_empty_list_is_the_json_literal_null(gw):
    response = admin_key(gw).get("/serviceaccounts")
    check(response, 200, "/serviceaccounts", None)
    assert response.text.strip() == "null"


def test_list_returns_every_account_with_groups_as_lists(gw):
    register(gw, "one", groups=[])
    register(gw, "two", groups=["b", "a"])
    register(gw, "three", groups=["x"], status="inactive")
    listed = check(admin_key(gw).get("/serviceaccounts"), 200, "/serviceaccounts")
    by_subject = {a["subject"]: a for a in listed}
    assert set(by_subject) == {"one", "two", "three"}
    assert by_subject["one"]["groups"] == []
    assert sorted(by_subject["two"]["groups"]) == ["a", "b"]
    assert by_subject["three"]["status"] == "inactive"


def test_groups_order_is_neither_the_given_nor_the_sorted_one(gw):
    given = ["delta", "alpha", "echo", "charlie", "bravo"]
    created = register(gw, "ordering", groups=given)
    assert sorted(created["groups"]) == sorted(given)
    assert created["groups"] not in (given, sorted(given))


# -- POST /api/serviceaccounts -----------------------------------------------------------------


def test_post_creates_and_returns_the_stored_resource(gw):
    body = {
        "subject": "robot@example.com",
        "status": "active",
        "name": "Robot",
        "groups": ["admin", "sre"],
        "id": "ignored",
        "org_id": "ignored",
    }
    created = check(admin_key(gw).post("/serviceaccounts", body), 201, "/serviceaccounts")
    assert created["id"] == sa_id("robot@example.com")
    assert created["org_id"] == LEGACY_ORG
    assert (created["subject"], created["name"], created["status"]) == (
        "robot@example.com",
        "Robot",
        "active",
    )
    assert sorted(created["groups"]) == ["admin", "sre"]
    assert stored(gw, "robot@example.com") == created


def test_post_without_name_and_groups(gw):
    created = admin_key(gw).post("/serviceaccounts", {"subject": "bare", "status": "inactive"})
    assert check(created, 201, "/serviceaccounts")["groups"] == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ('{"status": "active"}', "Subject"),
        ('{"subject": "s"}', "Status"),
        ('{"subject": "", "status": "active"}', "Subject"),
        ("{not json", None),
        ("", None),
        ("[]", None),
        ('{"subject": "s", "status": "active", "groups": "admin"}', None),
        ('{"subject": 7, "status": "active"}', None),
    ],
    ids=[
        "no-subject",
        "no-status",
        "empty-subject",
        "bad-json",
        "empty",
        "array",
        "groups-str",
        "subject-int",
    ],
)
def test_post_binding_errors_are_400(gw, data, field):
    response = admin_key(gw).post("/serviceaccounts", data=data)
    payload = check(response, 400, "/serviceaccounts")
    assert isinstance(payload["message"], str) and payload["message"]
    if field:
        assert field in payload["message"]
    assert admin_key(gw).get("/serviceaccounts").json() is None


def test_post_storage_failure_is_500(gw):
    # Another writer holding the database locked is a storage failure the gateway must report.
    locker = sqlite3.connect(gw.db, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        response = admin_key(gw).post("/serviceaccounts", {"subject": "locked", "status": "active"})
    finally:
        locker.close()
    payload = check(response, 500, "/serviceaccounts")
    assert isinstance(payload["message"], str) and payload["message"]
    assert stored(gw, "locked") is None


def test_post_wrong_status_is_422(gw):
    response = admin_key(gw).post("/serviceaccounts", {"subject": "s", "status": "disabled"})
    check(response, 422, "/serviceaccounts", {"message": 'wrong status value "disabled"'})


def test_post_existing_subject_is_409(gw):
    register(gw, "twice", name="first")
    response = admin_key(gw).post(
        "/serviceaccounts", {"subject": "twice", "status": "inactive", "name": "second"}
    )
    check(response, 409, "/serviceaccounts", {"message": "resource already exists"})
    assert stored(gw, "twice")["name"] == "first"


# -- PUT /api/serviceaccounts/{subject} --------------------------------------------------------

ROUTE = "/serviceaccounts/{subject}"


def test_put_echoes_the_request_and_replaces_groups(gw):
    register(gw, "svc", groups=["a", "b"], name="Old")
    body = {"subject": "ignored", "status": "inactive", "name": "New", "groups": ["c"]}
    answer = check(admin_key(gw).put("svc", body), 200, ROUTE)
    assert answer == {
        "id": sa_id("svc"),
        "org_id": LEGACY_ORG,
        "subject": "svc",
        "name": "New",
        "status": "inactive",
        "groups": ["c"],
    }
    assert stored(gw, "svc") == answer
    assert stored(gw, "ignored") is None


def test_put_with_empty_name_keeps_the_stored_name_but_echoes_empty(gw):
    register(gw, "svc", groups=["a"], name="Keep Me")
    for body in (
        {"status": "active", "name": "", "groups": ["a"]},
        {"status": "active", "groups": ["a"]},
    ):
        answer = check(admin_key(gw).put("svc", body), 200, ROUTE)
        assert answer["name"] == ""
        assert stored(gw, "svc")["name"] == "Keep Me"


@pytest.mark.parametrize("groups", [None, "missing"])
def test_put_without_groups_removes_them_all(gw, groups):
    register(gw, "svc", groups=["admin", "sre"])
    body = {"status": "active", "name": "robot"}
    if groups != "missing":
        body["groups"] = groups
    answer = check(admin_key(gw).put("svc", body), 200, ROUTE)
    assert answer["groups"] == []
    assert stored(gw, "svc")["groups"] == []


def test_put_unknown_subject_is_404(gw):
    response = admin_key(gw).put("nobody", {"status": "active"})
    check(response, 404, ROUTE, {"message": "resource not found"})


@pytest.mark.parametrize(
    "data",
    ['{"name": "x"}', "{oops", "", '{"status": ""}'],
    ids=["no-status", "bad-json", "empty", "empty-status"],
)
def test_put_binding_errors_are_400(gw, data):
    register(gw, "svc", name="Same")
    response = admin_key(gw).put("svc", data=data)
    check(response, 400, ROUTE)
    assert stored(gw, "svc")["name"] == "Same"


def test_put_wrong_status_is_422(gw):
    register(gw, "svc")
    response = admin_key(gw).put("svc", {"status": "paused"})
    check(response, 422, ROUTE, {"message": 'wrong status value "paused"'})
    assert stored(gw, "svc")["status"] == "active"


@pytest.mark.parametrize(
    "subject",
    ["robot@example.com", "auth0|5f1c2d", "urn:svc:ci", "a+b=c d%e", "Qm8x@clients"],
)
def test_percent_encoded_subjects_address_one_account(gw, subject):
    register(gw, subject, name="n")
    register(gw, subject + "-other", name="other")
    answer = check(admin_key(gw).put(subject, {"status": "inactive", "name": "m"}), 200, ROUTE)
    assert (answer["subject"], answer["id"]) == (subject, sa_id(subject))
    assert stored(gw, subject)["name"] == "m"
    assert stored(gw, subject + "-other")["name"] == "other"


def test_subject_with_slash_cannot_be_addressed(gw):
    register(gw, "team/robot")
    headers = {"Api-Key": ORG_KEY}
    for path in ("team/robot", "team%2Frobot"):
        response = requests.put(
            gw.url + "/api/serviceaccounts/" + path,
            headers=headers,
            json={"status": "inactive"},
            timeout=15,
        )
        assert response.status_code == 404
    assert stored(gw, "team/robot")["status"] == "active"


def test_id_is_uuid5_of_the_subject_and_stable(gw):
    first = register(gw, "stable-subject")
    assert first["id"] == "%s" % uuid.uuid5(uuid.NAMESPACE_URL, "serviceaccount/stable-subject")
    assert uuid.UUID(first["id"]).version == 5
    answer = check(admin_key(gw).put("stable-subject", {"status": "inactive"}), 200, ROUTE)
    assert answer["id"] == first["id"]


# -- other routes ------------------------------------------------------------------------------


def test_user_groups_lists_every_group(gw, stack):
    register(gw, "g1", groups=["sre", "dba"])
    register(gw, "g2", groups=["sre"])
    response = admin_key(gw).get("/users/groups")
    assert check(response, 200, "/users/groups") is not None
    assert sorted(response.json()) == ["dba", "sre"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/nothing"),
        ("DELETE", "/api/serviceaccounts"),
        ("GET", "/api/serviceaccounts/x"),
        ("PUT", "/api/serviceaccounts/"),
        ("GET", "/"),
    ],
)
def test_unknown_routes_are_404(gw, method, path):
    response = requests.request(method, gw.url + path, headers={"Api-Key": ORG_KEY}, timeout=15)
    assert response.status_code == 404


# -- persistence and releases ------------------------------------------------------------------


def test_restart_on_the_same_database_keeps_accounts_and_keys(stack, tmp_path):
    first = _start_gateway(stack, tmp_path, api_keys=[ORG_KEY])
    try:
        created = register(first, "survivor", groups=["admin", "sre"], name="Survivor")
        key = first.control("POST", "apikeys", json={"name": "k", "groups": ["sre"]})["key"]
    finally:
        first.stop()
    second = _start_gateway(stack, tmp_path, api_keys=[ORG_KEY])
    try:
        assert stored(second, "survivor") == created
        check(bearer(second, key).get("/serviceaccounts"), 200, "/serviceaccounts")
        info = check(bearer(second, key).get("/userinfo"), 200, "/userinfo")
        assert info["org_id"] == created["org_id"]
    finally:
        second.stop()


def test_org_id_option_sets_the_organisation(stack, tmp_path):
    org = str(uuid.uuid4())
    gateway = _start_gateway(stack, tmp_path, api_keys=[ORG_KEY], org_id=org)
    try:
        assert register(gateway, "in-org")["org_id"] == org
    finally:
        gateway.stop()


@pytest.fixture(scope="module")
def legacy(stack, tmp_path_factory):
    gateway = _start_gateway(
        stack, tmp_path_factory.mktemp("legacy"), api_keys=[ORG_KEY], release="legacy"
    )
    yield gateway
    gateway.stop()


def test_legacy_release_messages(legacy):
    register(legacy, "dup")
    response = admin_key(legacy).post("/serviceaccounts", {"subject": "dup", "status": "active"})
    check(response, 409, "/serviceaccounts", {"message": "service account already exists"})
    response = admin_key(legacy).put("nobody", {"status": "active"})
    check(response, 404, ROUTE, {"message": "service account not found"})


def test_legacy_release_put_stores_empty_name_and_answers_the_stored_resource(legacy):
    register(legacy, "old-style", groups=["a"], name="Named")
    body = {"subject": "ignored", "status": "active", "name": "", "groups": ["b", "a", "c"]}
    answer = check(admin_key(legacy).put("old-style", body), 200, ROUTE)
    assert answer == stored(legacy, "old-style")
    assert answer["name"] == ""
    assert sorted(answer["groups"]) == ["a", "b", "c"]


# -- faults ------------------------------------------------------------------------------------


def test_fault_429_with_retry_after_for_count_requests(gw):
    gw.control("POST", "faults", json={"status": 429, "count": 2, "retry_after": 7})
    api = admin_key(gw)
    for _attempt in range(2):
        response = api.get("/serviceaccounts")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
    check(api.get("/serviceaccounts"), 200, "/serviceaccounts", None)


@pytest.mark.parametrize("status", [500, 503])
def test_fault_server_errors(gw, status):
    gw.control("POST", "faults", json={"status": status})
    response = admin_key(gw).post("/serviceaccounts", {"subject": "nope", "status": "active"})
    assert response.status_code == status
    assert isinstance(response.json()["message"], str)
    assert stored(gw, "nope") is None


def test_fault_html_page(gw):
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    gw.control("POST", "faults", json={"status": 502, "body": page, "content_type": "text/html"})
    response = admin_key(gw).get("/serviceaccounts")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == page


def test_fault_redirect(gw):
    target = "https://login.example.com/sso"
    gw.control("POST", "faults", json={"status": 302, "location": target})
    response = requests.get(
        gw.url + "/api/serviceaccounts",
        headers={"Api-Key": ORG_KEY},
        timeout=15,
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_fault_delay_then_normal_answer(gw):
    gw.control("POST", "faults", json={"delay": 2})
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(gw.url + "/api/serviceaccounts", headers={"Api-Key": ORG_KEY}, timeout=0.5)
    check(admin_key(gw).get("/serviceaccounts"), 200, "/serviceaccounts", None)
    # The delayed request still completes on the server; wait for it so that it cannot land
    # in the request log of a later test.
    deadline = time.monotonic() + 30
    while len(gw.control("GET", "requests")) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [e["status"] for e in gw.control("GET", "requests")] == [200, 200]


def test_faults_queue_in_order_and_can_be_cleared(gw):
    gw.control("POST", "faults", json={"status": 503})
    gw.control("POST", "faults", json={"status": 429, "retry_after": 1})
    api = admin_key(gw)
    assert [api.get("/serviceaccounts").status_code for _attempt in range(3)] == [503, 429, 200]
    gw.control("POST", "faults", json={"status": 500, "count": 5})
    gw.control("DELETE", "faults")
    assert api.get("/serviceaccounts").status_code == 200


def test_faults_do_not_touch_control_routes(gw):
    gw.control("POST", "faults", json={"status": 503})
    assert gw.control("GET", "health")["ok"] is True
    assert admin_key(gw).get("/serviceaccounts").status_code == 503


# -- request log -------------------------------------------------------------------------------


def test_request_log_records_kinds_and_never_secrets(gw, stack):
    register(gw, subject_of(stack, "admin"), groups=["admin"])
    register(gw, subject_of(stack, "opaque"))
    key = gw.control("POST", "apikeys", json={"name": "logged", "groups": []})["key"]
    gw.control("DELETE", "requests")
    secrets_used = [ORG_KEY, LEGACY_KEY, key, token(stack, "admin"), token(stack, "opaque")]

    admin_key(gw).get("/serviceaccounts", params={"q": "x"})
    bearer(gw, key).get("/serviceaccounts")
    as_client(gw, stack, "admin").get("/userinfo")
    as_client(gw, stack, "opaque").get("/userinfo")
    Api(gw.url, {}).get("/userinfo")
    admin_key(gw).put("a@b|c", {"status": "active"})

    entries = gw.control("GET", "requests")
    assert entries == [
        {"method": "GET", "path": "/api/serviceaccounts", "status": 200, "credential": "api-key"},
        {"method": "GET", "path": "/api/serviceaccounts", "status": 200, "credential": "hpk"},
        {"method": "GET", "path": "/api/userinfo", "status": 200, "credential": "jwt"},
        {"method": "GET", "path": "/api/userinfo", "status": 200, "credential": "opaque"},
        {"method": "GET", "path": "/api/userinfo", "status": 401, "credential": "none"},
        {
            "method": "PUT",
            "path": "/api/serviceaccounts/a%40b%7Cc",
            "status": 404,
            "credential": "api-key",
        },
    ]
    dumped = json.dumps(entries)
    for secret in secrets_used:
        assert secret not in dumped
    for file in Path(gw.state_dir).iterdir():
        content = file.read_bytes()
        for secret in secrets_used:
            assert secret.encode() not in content, file.name


# -- the gateway the launcher starts -----------------------------------------------------------


def test_launcher_gateway_accepts_the_stack_api_key_and_issuer_tokens(stack):
    headers = {"Api-Key": stack.api_key}
    response = requests.get(stack.gateway_url + "/api/userinfo", headers=headers, timeout=15)
    assert check(response, 200, "/userinfo")["role"] == "admin"
    info = requests.get(
        stack.gateway_url + "/api/userinfo",
        headers={"Authorization": "Bearer " + token(stack, "demo")},
        timeout=15,
    )
    assert check(info, 200, "/userinfo")["email"] == subject_of(stack, "demo")


def test_https_gateway_verifies_issuer_tokens_over_https(tls_stack):
    assert tls_stack.gateway_url.startswith("https://")
    assert tls_stack.issuer.startswith("https://")
    admin = {"Api-Key": tls_stack.api_key}
    subject = subject_of(tls_stack, "demo")
    response = requests.post(
        tls_stack.gateway_url + "/api/serviceaccounts",
        headers=admin,
        json={"subject": subject, "status": "active", "groups": ["sre"]},
        timeout=15,
        verify=tls_stack.ca_path,
    )
    assert response.status_code in (201, 409), response.text
    info = requests.get(
        tls_stack.gateway_url + "/api/userinfo",
        headers={"Authorization": "Bearer " + token(tls_stack, "demo")},
        timeout=15,
        verify=tls_stack.ca_path,
    )
    assert check(info, 200, "/userinfo")["role"] == "standard"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_stack.gateway_url + "/api/userinfo", headers=admin, timeout=15)
