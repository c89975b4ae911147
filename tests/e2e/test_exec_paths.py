"""The controller path (action plugin in-process) and the module path give the same results.

Each scenario runs once through each path against the same gateway state; the results must be
identical, warnings, diffs and masked invocations included.
"""

import uuid

import pytest
import requests

pytestmark = pytest.mark.slow

SCRUB = ("_ansible_no_log",)


def comparable(result):
    return dict((k, v) for k, v in result.items() if k not in SCRUB)


@pytest.fixture
def both(ansible_controller, tmp_path):
    return ansible_controller, type(ansible_controller)("module", tmp_path)


def run_both(both, tasks, **kwargs):
    runs = [ansible.playbook(tasks, **kwargs) for ansible in both]
    for run in runs:
        assert run.data is not None, run.output[-3000:]
    return runs


def test_check_diff_failure_and_warning_are_identical(stack, both):
    subject = "paths-%s@clients" % uuid.uuid4().hex[:8]
    conn = {"api_url": stack.gateway_url, "api_key": stack.api_key}
    tasks = [
        {
            "name": "check diff",
            "hoop.gateway.hoop_serviceaccount": dict(
                conn, subject=subject, name="Robot", groups=["b", "a"]
            ),
        },
        {
            "name": "slash",
            "ignore_errors": True,
            "hoop.gateway.hoop_serviceaccount": dict(conn, subject="a/b"),
        },
        {
            "name": "two credentials",
            "hoop.gateway.hoop_serviceaccount_info": dict(
                conn, token=stack.api_key, subject=subject
            ),
        },
        {
            "name": "unknown option",
            "ignore_errors": True,
            "hoop.gateway.hoop_userinfo": dict(conn, bogus=1),
        },
    ]
    controller, module = run_both(both, tasks, check=True, diff=True)
    for name in ("check diff", "slash", "two credentials", "unknown option"):
        assert comparable(controller.result(name)) == comparable(module.result(name)), name

    result = controller.result("check diff")
    assert result["changed"] is True
    assert result["diff"] == {"before": {}, "after": result["service_account"]}
    assert result["invocation"]["module_args"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert controller.result("slash")["failed"] is True
    warnings = controller.result("two credentials")["warnings"]
    assert warnings == [
        "Both 'token' and 'api_key' are set in the task; using 'token' and ignoring "
        "'api_key'. Set only one credential."
    ]
    assert "Unsupported parameters" in controller.result("unknown option")["msg"]


def test_environment_fallbacks_and_task_environment_keyword(stack, both):
    subject = "env-%s@clients" % uuid.uuid4().hex[:8]
    task_env = {"HOOP_APIURL": stack.gateway_url + "/api", "HOOP_APIKEY": stack.api_key}
    tasks = [
        {
            "name": "task environment",
            "environment": task_env,
            "hoop.gateway.hoop_serviceaccount": {"subject": subject, "groups": ["sre"]},
        },
        {
            "name": "process environment",
            "hoop.gateway.hoop_serviceaccount_info": {"subject": subject},
        },
        {
            "name": "task wins",
            "environment": {"HOOP_APIKEY": "xapi-not-this-one"},
            "hoop.gateway.hoop_userinfo": {"api_key": stack.api_key},
        },
        {
            "name": "no credential",
            "ignore_errors": True,
            "environment": {"HOOP_APIKEY": ""},
            "hoop.gateway.hoop_userinfo": {},
        },
    ]
    env = {"HOOP_APIURL": stack.gateway_url, "HOOP_APIKEY": stack.api_key}
    controller, module = run_both(both, tasks, env=env)
    for name in ("process environment", "task wins", "no credential"):
        assert comparable(controller.result(name)) == comparable(module.result(name)), name
    assert controller.result("task environment")["changed"] is True
    assert module.result("task environment")["changed"] is False
    assert [a["subject"] for a in module.result("process environment")["service_accounts"]] == [
        subject
    ]
    assert controller.result("task wins")["authorized"] is True
    assert "warnings" not in controller.result("task wins")
    message = controller.result("no credential")["msg"]
    assert "No credential for the gateway" in message
    assert "HOOP_APIKEY" in message


def test_secrets_stay_out_of_verbose_output(stack, both):
    admin = stack.clients["admin"]
    headers = {"Api-Key": stack.api_key}
    body = {"subject": admin["client_id"], "name": "", "status": "active", "groups": ["admin"]}
    url = stack.gateway_url + "/api/serviceaccounts"
    if requests.post(url, json=body, headers=headers, timeout=10).status_code == 409:
        requests.put(url + "/" + admin["client_id"], json=body, headers=headers, timeout=10)
    wrong = "xapi-wrong-%s" % uuid.uuid4().hex
    tasks = [
        {
            "name": "minting",
            "hoop.gateway.hoop_userinfo": {
                "api_url": stack.gateway_url,
                "token_url": stack.token_url,
                "client_id": admin["client_id"],
                "client_secret": admin["client_secret"],
            },
        },
        {
            "name": "refused",
            "ignore_errors": True,
            "hoop.gateway.hoop_userinfo": {"api_url": stack.gateway_url, "api_key": wrong},
        },
        {
            "name": "key",
            "hoop.gateway.hoop_serviceaccount_info": {
                "api_url": stack.gateway_url,
                "api_key": stack.api_key,
            },
        },
    ]
    for run in run_both(both, tasks, verbosity=3):
        assert run.result("minting")["authorized"] is True
        assert run.result("refused")["failed"] is True
        for secret in (admin["client_secret"], wrong, stack.api_key):
            assert secret not in run.output
