"""hoop_serviceaccount and hoop_serviceaccount_info against the local stack, both paths.

Each test checks the module's result, what the gateway stores afterwards, and the gateway's
request log, which is how the request budget (1 unchanged, 2 changed) is proven.
"""

import json
import uuid

import pytest
import requests

pytestmark = pytest.mark.slow


def conn(stack, **extra):
    args = {"api_url": stack.gateway_url, "api_key": stack.api_key}
    args.update(extra)
    return args


def stored(stack, subject):
    response = requests.get(
        stack.gateway_url + "/api/serviceaccounts",
        headers={"Api-Key": stack.api_key},
        timeout=10,
    )
    response.raise_for_status()
    for account in response.json() or []:
        if account["subject"] == subject:
            return dict(account, groups=sorted(account["groups"]))
    return None


def put_directly(stack, subject, name="", status="active", groups=()):
    body = {"subject": subject, "name": name, "status": status, "groups": list(groups)}
    response = requests.post(
        stack.gateway_url + "/api/serviceaccounts",
        headers={"Api-Key": stack.api_key},
        json=body,
        timeout=10,
    )
    assert response.status_code == 201, response.text


def api_log(stack):
    return [
        (entry["method"], entry["status"])
        for entry in stack.gateway_requests()
        if entry["path"].startswith("/api/")
    ]


def unique(name, exec_path):
    return "%s-%s-%s@clients" % (name, exec_path, uuid.uuid4().hex[:6])


def test_lifecycle_create_unchanged_append_replace_disable_enable(stack, ansible, exec_path):
    subject = unique("life", exec_path)
    with_api = dict(conn(stack), api_url=stack.gateway_url + "/api/")
    tasks = [
        {
            "name": "create",
            "hoop.gateway.hoop_serviceaccount": dict(
                conn(stack), subject=subject, name="Robot", groups=["sre", "admin"]
            ),
        },
        {
            "name": "again",
            "hoop.gateway.hoop_serviceaccount": dict(
                with_api, subject=subject, name="Robot", groups=["sre", "admin"]
            ),
        },
        {
            "name": "reordered",
            "hoop.gateway.hoop_serviceaccount": dict(
                conn(stack), subject=subject, groups=["admin", "sre", "admin"]
            ),
        },
        {
            "name": "append",
            "hoop.gateway.hoop_serviceaccount": dict(
                conn(stack), subject=subject, groups=["auditor"], append=True
            ),
        },
        {
            "name": "replace",
            "hoop.gateway.hoop_serviceaccount": dict(conn(stack), subject=subject, groups=["sre"]),
        },
        {
            "name": "disable",
            "hoop.gateway.hoop_serviceaccount": dict(
                conn(stack), subject=subject, state="disabled"
            ),
        },
        {"name": "enable", "hoop.gateway.hoop_serviceaccount": dict(conn(stack), subject=subject)},
    ]
    stack.reset_logs()
    run = ansible.playbook(tasks)
    log = api_log(stack)
    assert run.rc == 0, run.output[-3000:]

    changed = {
        name: run.result(name)["changed"]
        for name in ("create", "again", "reordered", "append", "replace", "disable", "enable")
    }
    assert changed == {
        "create": True,
        "again": False,
        "reordered": False,
        "append": True,
        "replace": True,
        "disable": True,
        "enable": True,
    }
    created = run.result("create")["service_account"]
    assert created == {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "serviceaccount/" + subject)),
        "org_id": created["org_id"],
        "subject": subject,
        "name": "Robot",
        "status": "active",
        "groups": ["admin", "sre"],
    }
    assert created["org_id"]
    assert run.result("append")["service_account"]["groups"] == ["admin", "auditor", "sre"]
    assert run.result("replace")["service_account"]["groups"] == ["sre"]
    assert run.result("replace")["service_account"]["name"] == "Robot"
    assert run.result("disable")["service_account"]["status"] == "inactive"
    assert run.result("disable")["service_account"]["groups"] == ["sre"]
    assert run.result("enable")["service_account"] == dict(created, groups=["sre"])
    assert stored(stack, subject) == dict(created, groups=["sre"])
    assert log == [
        ("GET", 200),
        ("POST", 201),
        ("GET", 200),
        ("GET", 200),
        ("GET", 200),
        ("PUT", 200),
        ("GET", 200),
        ("PUT", 200),
        ("GET", 200),
        ("PUT", 200),
        ("GET", 200),
        ("PUT", 200),
    ]


def test_check_mode_and_diff_write_nothing(stack, ansible, exec_path):
    missing = unique("check-missing", exec_path)
    existing = unique("check-existing", exec_path)
    put_directly(stack, existing, name="Old", groups=["sre"])
    tasks = [
        {
            "name": "missing",
            "hoop.gateway.hoop_serviceaccount": dict(
                conn(stack), subject=missing, name="New", groups=["b", "a"], state="disabled"
            ),
        },
        {
            "name": "existing",
            "hoop.gateway.hoop_serviceaccount": dict(
                conn(stack), subject=existing, groups=["dba", "admin"]
            ),
        },
    ]
    stack.reset_logs()
    run = ansible.playbook(tasks, check=True, diff=True)
    log = api_log(stack)
    assert run.rc == 0, run.output[-3000:]

    result = run.result("missing")
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == result["service_account"]
    assert result["service_account"]["groups"] == ["a", "b"]
    assert result["service_account"]["status"] == "inactive"
    assert result["service_account"]["id"] == str(
        uuid.uuid5(uuid.NAMESPACE_URL, "serviceaccount/" + missing)
    )

    result = run.result("existing")
    assert result["changed"] is True
    assert result["diff"]["before"]["groups"] == ["sre"]
    assert result["diff"]["after"]["groups"] == ["admin", "dba"]
    assert result["diff"]["after"]["name"] == "Old"
    assert stored(stack, missing) is None
    assert stored(stack, existing)["groups"] == ["sre"]
    assert log == [("GET", 200), ("GET", 200)]


def test_no_diff_key_without_diff_mode(stack, ansible, exec_path):
    subject = unique("nodiff", exec_path)
    _run, result = ansible.module("hoop_serviceaccount", conn(stack, subject=subject))
    assert result["changed"] is True
    assert "diff" not in result


def test_conflict_on_create_reads_again_and_updates(stack, ansible, exec_path):
    subject = unique("race", exec_path)
    # Someone else registers the subject after the module's read: the read is made to look
    # as if it happened before, the create then meets the real account.
    put_directly(stack, subject, name="Theirs", groups=["sre"])
    stack.reset_logs()
    stack.gateway_faults(status=200, body="null", content_type="application/json")
    _run, result = ansible.module(
        "hoop_serviceaccount", conn(stack, subject=subject, groups=["admin"]), diff=True
    )
    log = api_log(stack)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["service_account"]["name"] == "Theirs"
    assert result["service_account"]["groups"] == ["admin"]
    assert result["diff"]["before"]["groups"] == ["sre"]
    assert stored(stack, subject)["groups"] == ["admin"]
    assert log == [("GET", 200), ("POST", 409), ("GET", 200), ("PUT", 200)]


def test_null_list_and_info_filters(stack, ansible, exec_path):
    requests.post(stack.gateway_url + "/__stack/reset", timeout=10).raise_for_status()
    _run, empty = ansible.module("hoop_serviceaccount_info", conn(stack))
    assert empty["service_accounts"] == []
    assert empty["changed"] is False

    put_directly(stack, "b@clients", groups=["sre", "admin"])
    put_directly(stack, "a@clients", status="inactive", groups=["sre"])
    put_directly(stack, "c@clients", groups=[])
    tasks = [
        {"name": "all", "hoop.gateway.hoop_serviceaccount_info": conn(stack)},
        {"name": "one", "hoop.gateway.hoop_serviceaccount_info": conn(stack, subject="c@clients")},
        {
            "name": "two",
            "hoop.gateway.hoop_serviceaccount_info": conn(
                stack, subject=["c@clients", "a@clients", "zz"]
            ),
        },
        {"name": "status", "hoop.gateway.hoop_serviceaccount_info": conn(stack, status="inactive")},
        {"name": "group", "hoop.gateway.hoop_serviceaccount_info": conn(stack, group="sre")},
    ]
    run = ansible.playbook(tasks, check=True)
    assert run.rc == 0, run.output[-3000:]

    def subjects(name):
        return [a["subject"] for a in run.result(name)["service_accounts"]]

    assert subjects("all") == ["a@clients", "b@clients", "c@clients"]
    assert run.result("all")["service_accounts"][1]["groups"] == ["admin", "sre"]
    assert subjects("one") == ["c@clients"]
    assert subjects("two") == ["a@clients", "c@clients"]
    assert subjects("status") == ["a@clients"]
    assert subjects("group") == ["a@clients", "b@clients"]


def test_subjects_with_special_characters_are_updated(stack, ansible, exec_path):
    subjects = [
        unique("at", exec_path),
        "org-%s|robot" % uuid.uuid4().hex[:6],
        "urn:%s:robot" % uuid.uuid4().hex[:6],
    ]
    tasks = []
    for index, subject in enumerate(subjects):
        for step, groups in (("create", ["sre"]), ("update", ["admin"])):
            tasks.append(
                {
                    "name": "%s-%d" % (step, index),
                    "hoop.gateway.hoop_serviceaccount": conn(stack, subject=subject, groups=groups),
                }
            )
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output[-3000:]
    for index, subject in enumerate(subjects):
        assert run.result("update-%d" % index)["changed"] is True
        assert stored(stack, subject)["groups"] == ["admin"]


def test_subject_with_slash_fails_before_any_request(stack, ansible):
    stack.reset_logs()
    _run, result = ansible.module(
        "hoop_serviceaccount", conn(stack, subject="spiffe://example.org/robot")
    )
    assert result["failed"] is True
    assert "contains '/'" in result["msg"]
    assert "cannot address" in result["msg"]
    assert api_log(stack) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"subject": ""}, "'subject' must not be empty"),
        ({"subject": "x@clients", "name": ""}, "'name' must not be empty"),
        ({"subject": "x@clients", "groups": ["admin", ""]}, "non-empty group names"),
        ({"subject": "x@clients", "state": "absent"}, "value of state must be one of"),
        ({"subject": "x@clients", "api_url": "hoop.example.com"}, "not a usable URL"),
    ],
)
def test_bad_input_fails_with_a_message(stack, ansible_controller, args, expected):
    _run, result = ansible_controller.module("hoop_serviceaccount", conn(stack, **args))
    assert result["failed"] is True
    assert expected in result["msg"]
    assert "Traceback" not in json.dumps(result)


def test_refused_and_read_only_credentials(stack, ansible, exec_path):
    subject = unique("creds", exec_path)
    wrong = "xapi-wrong-" + uuid.uuid4().hex
    reader = stack_apikey(stack, "reader", ["sre"])
    tasks = [
        {
            "name": "wrong key",
            "ignore_errors": True,
            "hoop.gateway.hoop_serviceaccount": dict(conn(stack), api_key=wrong, subject=subject),
        },
        {
            "name": "reader lists",
            "hoop.gateway.hoop_serviceaccount_info": dict(conn(stack), api_key=reader),
        },
        {
            "name": "reader writes",
            "ignore_errors": True,
            "hoop.gateway.hoop_serviceaccount": dict(conn(stack), api_key=reader, subject=subject),
        },
    ]
    stack.reset_logs()
    run = ansible.playbook(tasks)
    credentials = [entry["credential"] for entry in stack.gateway_requests()]
    assert run.data is not None, run.output[-3000:]

    refused = run.result("wrong key")
    assert refused["failed"] is True
    assert refused["status"] == 401
    assert "HTTP 401" in refused["msg"]
    assert "organisation API key from 'api_key'" in refused["msg"]
    assert wrong not in run.output

    assert run.result("reader lists").get("failed") is not True
    forbidden = run.result("reader writes")
    assert forbidden["failed"] is True
    assert forbidden["status"] == 403
    assert "group 'admin'" in forbidden["msg"]
    assert reader not in run.output
    assert stored(stack, subject) is None
    assert credentials == ["api-key", "hpk", "hpk", "hpk"]


def stack_apikey(stack, name, groups):
    response = requests.post(
        stack.gateway_url + "/__stack/apikeys", json={"name": name, "groups": groups}, timeout=10
    )
    response.raise_for_status()
    return response.json()["key"]


def register_admin(stack, subject):
    account = stored(stack, subject)
    body = {"subject": subject, "name": "", "status": "active", "groups": ["admin"]}
    headers = {"Api-Key": stack.api_key}
    if account is None:
        requests.post(
            stack.gateway_url + "/api/serviceaccounts", json=body, headers=headers, timeout=10
        ).raise_for_status()
    else:
        requests.put(
            stack.gateway_url + "/api/serviceaccounts/" + subject,
            json=body,
            headers=headers,
            timeout=10,
        ).raise_for_status()


def test_each_credential_kind_can_write(stack, ansible, exec_path):
    admin = stack.clients["admin"]
    register_admin(stack, admin["client_id"])
    token = stack.access_token("admin")
    writer = stack_apikey(stack, "writer", ["admin"])
    kinds = {
        "token": {"token": token},
        "xapi": {"api_key": stack.api_key},
        "hpk": {"api_key": writer},
        "oauth2": {
            "token_url": stack.token_url,
            "client_id": admin["client_id"],
            "client_secret": admin["client_secret"],
        },
    }
    subjects = {kind: unique(kind, exec_path) for kind in kinds}
    tasks = [
        {
            "name": kind,
            "hoop.gateway.hoop_serviceaccount": dict(
                args, api_url=stack.gateway_url, subject=subjects[kind], groups=["sre"]
            ),
        }
        for kind, args in kinds.items()
    ]
    stack.reset_logs()
    run = ansible.playbook(tasks, verbosity=3)
    posts = [e["credential"] for e in stack.gateway_requests() if e["method"] == "POST"]
    assert run.rc == 0, run.output[-3000:]
    for kind in kinds:
        assert run.result(kind)["changed"] is True
        assert stored(stack, subjects[kind])["groups"] == ["sre"]
    assert posts == ["jwt", "api-key", "hpk", "jwt"]
    for secret in (token, stack.api_key, writer, admin["client_secret"]):
        assert secret not in run.output


def test_minted_token_refused_once_is_minted_again(stack, ansible, exec_path):
    admin = stack.clients["admin"]
    register_admin(stack, admin["client_id"])
    subject = unique("remint", exec_path)
    args = {
        "api_url": stack.gateway_url,
        "token_url": stack.token_url,
        "client_id": admin["client_id"],
        "client_secret": admin["client_secret"],
        "subject": subject,
    }
    stack.reset_logs()
    stack.gateway_faults(status=401, body='{"message": "access denied"}')
    _run, result = ansible.module("hoop_serviceaccount", args)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert any("minted a new one" in w for w in result.get("warnings", []))
    assert len(stack.token_requests()) == 2
    assert api_log(stack) == [("GET", 401), ("GET", 200), ("POST", 201)]


def test_expired_minted_token_is_replaced(stack, ansible, exec_path):
    # The shortlived client's tokens live 3 s. The gateway is made to wait 4 s before it
    # checks the first request, so the token the module minted has expired by then.
    client = stack.clients["shortlived"]
    register_admin(stack, client["client_id"])
    args = {
        "api_url": stack.gateway_url,
        "token_url": stack.token_url,
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
    stack.reset_logs()
    stack.gateway_faults(status=None, delay=4)
    _run, result = ansible.module("hoop_userinfo", args)
    assert result.get("failed") is not True, result
    assert result["authorized"] is True
    assert result["subject"] == client["client_id"]
    assert len(stack.token_requests()) == 2
    assert api_log(stack) == [("GET", 401), ("GET", 200)]


def test_transient_faults_are_retried_and_others_explained(stack, ansible, exec_path):
    subject = unique("faults", exec_path)
    put_directly(stack, subject, groups=["sre"])
    unchanged = conn(stack, subject=subject, groups=["sre"])
    no_retry = dict(unchanged, retries=0)
    tasks = [
        {"name": "429", "hoop.gateway.hoop_serviceaccount": unchanged},
        {"name": "500", "hoop.gateway.hoop_serviceaccount": unchanged},
        {"name": "503", "hoop.gateway.hoop_serviceaccount": unchanged},
        {"name": "html", "ignore_errors": True, "hoop.gateway.hoop_serviceaccount": no_retry},
        {"name": "redirect", "ignore_errors": True, "hoop.gateway.hoop_serviceaccount": no_retry},
        {
            "name": "timeout",
            "ignore_errors": True,
            "hoop.gateway.hoop_serviceaccount": dict(no_retry, timeout=1),
        },
    ]
    stack.reset_logs()
    # Faults are consumed in order by the next /api requests; a bare delay of 0 lets one
    # request through, so the whole sequence can be queued before the play runs.
    stack.gateway_faults(status=429, retry_after=1)
    stack.gateway_faults(status=None, delay=0)
    stack.gateway_faults(status=500, retry_after=0)
    stack.gateway_faults(status=None, delay=0)
    stack.gateway_faults(status=503, retry_after=0, count=2)
    stack.gateway_faults(status=None, delay=0)
    stack.gateway_faults(status=502, body="<html><body><h1>502 Bad Gateway</h1></body></html>")
    stack.gateway_faults(status=302, location="https://login.example.com/sso?next=/api")
    stack.gateway_faults(status=None, delay=3)
    run = ansible.playbook(tasks)
    assert run.data is not None, run.output[-3000:]

    for name, retries in (("429", 1), ("500", 1), ("503", 2)):
        result = run.result(name)
        assert result.get("failed") is not True, result
        assert result["changed"] is False
        warnings = [w for w in result.get("warnings", []) if "retrying" in w]
        assert len(warnings) == retries, result
    assert "HTTP 429; retrying in 1.0 s" in run.result("429")["warnings"][0]

    html = run.result("html")
    assert html["failed"] is True
    assert "HTTP 502" in html["msg"]
    assert "an HTML page: '502 Bad Gateway'" in html["msg"]
    redirect = run.result("redirect")
    assert redirect["failed"] is True
    assert "https://login.example.com/sso" in redirect["msg"]
    assert "next=" not in redirect["msg"]
    timeout = run.result("timeout")
    assert timeout["failed"] is True
    assert "no answer within the timeout" in timeout["msg"]
    assert "raise 'timeout'" in timeout["msg"]
    assert stack.api_key not in run.output


def test_adhoc_with_environment_only(stack, ansible, exec_path):
    subject = unique("adhoc", exec_path)
    env = {"HOOP_APIURL": stack.gateway_url, "HOOP_APIKEY": stack.api_key}
    run = ansible.adhoc(
        "hoop.gateway.hoop_serviceaccount", {"subject": subject, "groups": "admin"}, env=env
    )
    assert run.rc == 0, run.output[-3000:]
    assert stored(stack, subject)["groups"] == ["admin"]
    assert stack.api_key not in run.output


def test_module_defaults_with_the_action_group(stack, ansible, exec_path):
    subject = unique("defaults", exec_path)
    tasks = [
        {
            "name": "block",
            "module_defaults": {"group/hoop.gateway.gateway": conn(stack)},
            "block": [
                {
                    "name": "create",
                    "hoop.gateway.hoop_serviceaccount": {"subject": subject, "groups": ["sre"]},
                },
                {"name": "list", "hoop.gateway.hoop_serviceaccount_info": {"subject": subject}},
                {"name": "whoami", "hoop.gateway.hoop_userinfo": {}},
            ],
        }
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output[-3000:]
    assert run.result("create")["changed"] is True
    assert [a["subject"] for a in run.result("list")["service_accounts"]] == [subject]
    assert run.result("whoami")["is_admin"] is True


@pytest.fixture(scope="module")
def legacy_gateway(stack, tmp_path_factory):
    from hoopstack.gateway_proc import GatewayProcess

    org_id = str(uuid.uuid4())
    key = "%s|%s" % (org_id, uuid.uuid4().hex)
    with GatewayProcess(
        str(tmp_path_factory.mktemp("legacy")),
        issuer=stack.issuer,
        api_keys=[key],
        release="legacy",
        org_id=org_id,
    ) as gateway:
        gateway.key = key
        yield gateway


def test_legacy_release_with_legacy_key(legacy_gateway, ansible, exec_path):
    subject = unique("legacy", exec_path)
    args = {"api_url": legacy_gateway.url, "api_key": legacy_gateway.key, "subject": subject}
    tasks = [
        {
            "name": "create",
            "hoop.gateway.hoop_serviceaccount": dict(args, name="Robot", groups=["sre"]),
        },
        {"name": "groups only", "hoop.gateway.hoop_serviceaccount": dict(args, groups=["admin"])},
        {"name": "again", "hoop.gateway.hoop_serviceaccount": dict(args, groups=["admin"])},
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output[-3000:]
    assert [run.result(n)["changed"] for n in ("create", "groups only", "again")] == [
        True,
        True,
        False,
    ]
    response = requests.get(
        legacy_gateway.url + "/api/serviceaccounts",
        headers={"Api-Key": legacy_gateway.key},
        timeout=10,
    )
    account = [a for a in response.json() if a["subject"] == subject][0]
    # A legacy gateway stores an empty name sent on PUT: the module must send the current one.
    assert account["name"] == "Robot"
    assert account["groups"] == ["admin"]
    assert legacy_gateway.key not in run.output
