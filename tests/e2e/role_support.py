"""Shared by the tests of the service_account role, the playbooks and the AWX-style run."""

import json
from pathlib import Path

import requests

ROLE_PREFIX = "hoop.gateway.service_account : "


def reset_gateway(stack):
    """No service account, no fault, empty request logs on both servers."""
    response = requests.post(stack.gateway_url + "/__stack/reset", timeout=10)
    response.raise_for_status()
    stack.clear_faults()
    stack.reset_logs()


def stored_accounts(stack):
    """The gateway's service accounts by subject, read with the organisation key."""
    response = requests.get(
        stack.gateway_url + "/api/serviceaccounts",
        headers={"Api-Key": stack.api_key},
        timeout=10,
    )
    response.raise_for_status()
    return {a["subject"]: dict(a, groups=sorted(a["groups"])) for a in response.json() or []}


def register_admin_client(stack):
    """Makes the stack's `admin` client an administrator of the gateway."""
    response = requests.post(
        stack.gateway_url + "/api/serviceaccounts",
        headers={"Api-Key": stack.api_key},
        json={
            "subject": stack.clients["admin"]["expected_sub"],
            "name": "administrator",
            "status": "active",
            "groups": ["admin"],
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text


def gateway_calls(stack, path=None):
    """(method, path) of every /api request the gateway saw, optionally for one path."""
    calls = [
        (entry["method"], entry["path"])
        for entry in stack.gateway_requests()
        if entry["path"].startswith("/api/")
    ]
    return [call for call in calls if path is None or call[1] == path]


def writes(stack):
    return [call for call in gateway_calls(stack) if call[0] in ("POST", "PUT")]


def client_account(stack, client, **extra):
    """An account entry for one of the stack's clients, with its own credentials."""
    info = stack.clients[client]
    account = {
        "name": "%s-automation" % client,
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
        "oauth2": {"auth_method": info["auth_method"]},
    }
    account.update(extra)
    return account


def role_vars(stack, accounts, admin="api_key", **extra):
    values = {
        "service_account_api_url": stack.gateway_url,
        "service_account_oauth2": {"token_url": stack.token_url},
        "service_account_accounts": accounts,
    }
    if admin == "api_key":
        values["service_account_admin_api_key"] = stack.api_key
    elif admin == "client":
        values["service_account_admin_client"] = {
            "client_id": stack.clients["admin"]["client_id"],
            "client_secret": stack.clients["admin"]["client_secret"],
        }
    values.update(extra)
    return values


def write_role_playbook(directory, variables, name="role.yml"):
    """A play that applies the role with ``variables`` as play vars."""
    play = [
        {
            "name": "role under test",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": variables,
            "roles": ["hoop.gateway.service_account"],
        }
    ]
    path = Path(directory) / name
    path.write_text(json.dumps(play))
    return path


def write_vars_file(directory, variables, name="vars.json"):
    path = Path(directory) / name
    path.write_text(json.dumps(variables))
    return path


def role_task(run, name):
    """The result of the role's task called ``name``."""
    return run.result(ROLE_PREFIX + name)


def role_result(run):
    """The fact the role publishes, ``service_account_result``, by account name."""
    facts = role_task(run, "Record the accounts as the gateway holds them")["ansible_facts"]
    return {entry["name"]: entry for entry in facts["service_account_result"]}


def failure_message(run):
    """The message of the task that failed the run.

    The run stops at that task, so it is the last failed one: the role's no_log loops may fail
    earlier with their errors ignored, and their censored results name nothing.
    """
    message = ""
    for play in (run.data or {}).get("plays", []):
        for task in play["tasks"]:
            result = task["hosts"].get("localhost") or {}
            if result.get("failed"):
                message = result.get("msg", "")
    return message
