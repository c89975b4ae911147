"""hoop_userinfo against the local stack, both paths: a working token, then a revoked one."""

import pytest
import requests

pytestmark = pytest.mark.slow


def set_account(stack, subject, status, groups):
    headers = {"Api-Key": stack.api_key}
    body = {"subject": subject, "name": "Demo", "status": status, "groups": groups}
    url = stack.gateway_url + "/api/serviceaccounts"
    response = requests.post(url, json=body, headers=headers, timeout=10)
    if response.status_code == 409:
        response = requests.put(url + "/" + subject, json=body, headers=headers, timeout=10)
    response.raise_for_status()


def test_token_works_then_is_refused_after_disabling(stack, ansible):
    subject = stack.clients["demo"]["client_id"]
    set_account(stack, subject, "active", ["sre", "auditor"])
    token = stack.access_token("demo")
    as_demo = {"api_url": stack.gateway_url, "token": token}
    tasks = [
        {"name": "works", "hoop.gateway.hoop_userinfo": as_demo},
        {
            "name": "still works",
            "ignore_errors": True,
            "hoop.gateway.hoop_userinfo": dict(as_demo, expect="unauthorized"),
        },
        {
            "name": "disable",
            "hoop.gateway.hoop_serviceaccount": {
                "api_url": stack.gateway_url,
                "api_key": stack.api_key,
                "subject": subject,
                "state": "disabled",
            },
        },
        {"name": "revoked", "hoop.gateway.hoop_userinfo": dict(as_demo, expect="unauthorized")},
        {
            "name": "revoked but expected to work",
            "ignore_errors": True,
            "hoop.gateway.hoop_userinfo": as_demo,
        },
        {"name": "either", "hoop.gateway.hoop_userinfo": dict(as_demo, expect="any")},
    ]
    run = ansible.playbook(tasks)
    assert run.data is not None, run.output[-3000:]

    works = run.result("works")
    assert works.get("failed") is not True, works
    assert works["authorized"] is True
    assert works["registered"] is True
    assert works["status_code"] == 200
    assert works["subject"] == subject
    assert works["email"] == subject
    assert works["name"] == "Demo"
    assert works["groups"] == ["auditor", "sre"]
    assert works["role"] == "auditor"
    assert works["status"] == "active"
    assert works["is_admin"] is False
    assert works["userinfo"]["email"] == subject

    still = run.result("still works")
    assert still["failed"] is True
    assert "still works" in still["msg"]
    assert still["authorized"] is True

    revoked = run.result("revoked")
    assert revoked.get("failed") is not True, revoked
    assert revoked["authorized"] is False
    assert revoked["status_code"] == 401
    assert revoked["subject"] is None
    assert revoked["changed"] is False

    refused = run.result("revoked but expected to work")
    assert refused["failed"] is True
    assert refused["authorized"] is False
    assert refused["status_code"] == 401
    assert "HTTP 401" in refused["msg"]
    assert "inactive" in refused["msg"]

    assert run.result("either")["authorized"] is False
    assert run.result("either").get("failed") is not True
    assert token not in run.output


def test_unregistered_subject_is_not_authorized(stack, ansible):
    token = stack.access_token("entra")
    args = {"api_url": stack.gateway_url, "token": token}
    tasks = [
        {"name": "any", "hoop.gateway.hoop_userinfo": dict(args, expect="any")},
        {"name": "authorized", "ignore_errors": True, "hoop.gateway.hoop_userinfo": args},
    ]
    run = ansible.playbook(tasks)
    assert run.data is not None, run.output[-3000:]
    either = run.result("any")
    assert either["authorized"] is False
    assert either["registered"] is False
    assert either["status_code"] == 200
    assert either["role"] == "unregistered"
    assert either["subject"] == stack.clients["entra"]["expected_sub"]
    refused = run.result("authorized")
    assert refused["failed"] is True
    assert "not registered" in refused["msg"]
    assert "hoop.gateway.hoop_serviceaccount" in refused["msg"]
