"""The hoop.gateway.service_account role against the local stack.

Each test starts from an empty gateway and checks what the gateway stores and the requests
both servers saw, besides the play's own result.
"""

import re

import pytest
import requests
from role_support import (
    client_account,
    failure_message,
    gateway_calls,
    register_admin_client,
    reset_gateway,
    role_result,
    role_task,
    role_vars,
    stored_accounts,
    write_role_playbook,
    write_vars_file,
    writes,
)

pytestmark = pytest.mark.slow

ACCOUNTS_PATH = "/api/serviceaccounts"


def three_providers(stack):
    """Entra-like, Auth0-like and Keycloak-like subjects, and one account to disable."""
    return [
        client_account(stack, "entra", groups=["deployers"]),
        client_account(stack, "auth0", groups=["auditor"]),
        client_account(stack, "keycloak", groups=["admin", "deployers"]),
        client_account(stack, "demo", state="disabled"),
    ]


def test_registers_each_account_under_its_tokens_sub_then_changes_nothing(stack, ansible, tmp_path):
    reset_gateway(stack)
    register_admin_client(stack)
    stack.reset_logs()
    accounts = three_providers(stack)
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts, admin="client"))

    first = ansible.playbook(playbook)

    assert first.rc == 0, first.output[-3000:]
    stored = stored_accounts(stack)
    expected = {
        "entra": ("active", ["deployers"]),
        "auth0": ("active", ["auditor"]),
        "keycloak": ("active", ["admin", "deployers"]),
        "demo": ("inactive", []),
    }
    for client, (status, groups) in expected.items():
        sub = stack.clients[client]["expected_sub"]
        assert stored[sub]["name"] == "%s-automation" % client
        assert stored[sub]["status"] == status
        assert stored[sub]["groups"] == groups
    # The classic mistake would register the client ids of these three.
    for client in ("entra", "auth0", "keycloak"):
        assert stack.clients[client]["client_id"] not in stored
    assert len(writes(stack)) == 4
    result = role_result(first)
    assert result["entra-automation"]["subject"] == stack.clients["entra"]["expected_sub"]
    assert result["keycloak-automation"]["role"] == "admin"
    assert result["auth0-automation"]["role"] == "auditor"
    assert result["entra-automation"]["role"] == "standard"
    assert result["demo-automation"]["status_code"] == 401
    assert all(entry["changed"] for entry in result.values())
    assert "access_token" not in first.stdout

    stack.reset_logs()
    second = ansible.playbook(playbook)

    assert second.rc == 0, second.output[-3000:]
    assert second.stats["changed"] == 0
    assert gateway_calls(stack, ACCOUNTS_PATH) == [("GET", ACCOUNTS_PATH)] * 4
    assert writes(stack) == []
    # Each account's own token plus one for the administrator, whatever the number of tasks.
    assert len(stack.token_requests()) == len(accounts) + 1
    userinfo = [e["status"] for e in stack.gateway_requests() if e["path"] == "/api/userinfo"]
    assert sorted(userinfo) == [200, 200, 200, 401]
    assert not any(entry["changed"] for entry in role_result(second).values())


def test_check_mode_reports_changes_and_writes_nothing(stack, ansible_controller, tmp_path):
    reset_gateway(stack)
    playbook = write_role_playbook(tmp_path, role_vars(stack, three_providers(stack)))

    run = ansible_controller.playbook(playbook, check=True)

    assert run.rc == 0, run.output[-3000:]
    assert writes(stack) == []
    assert stored_accounts(stack) == {}
    result = role_result(run)
    assert all(entry["changed"] for entry in result.values())
    assert result["entra-automation"]["subject"] == stack.clients["entra"]["expected_sub"]
    # Nothing was written, so nothing is verified.
    assert gateway_calls(stack, "/api/userinfo") == []


def test_given_subject_that_is_not_the_tokens_sub_stops_before_any_write(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    entra = stack.clients["entra"]
    accounts = [
        client_account(stack, "auth0"),
        client_account(stack, "entra", subject=entra["client_id"]),
    ]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts))

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert entra["client_id"] in message
    assert entra["expected_sub"] in message
    assert "entra-automation" in message
    assert writes(stack) == []
    assert gateway_calls(stack) == []
    assert stored_accounts(stack) == {}


@pytest.mark.parametrize("client", ["nosub", "opaque"])
def test_token_without_readable_subject_stops_before_any_write(
    stack, ansible_controller, tmp_path, client
):
    reset_gateway(stack)
    accounts = [client_account(stack, "auth0"), client_account(stack, client)]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts))

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert "%s-automation" % client in message
    assert "no readable subject" in message
    assert writes(stack) == []
    assert stored_accounts(stack) == {}


def test_opaque_token_with_explicit_subject_is_registered_and_verified(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    opaque = stack.clients["opaque"]
    accounts = [client_account(stack, "opaque", subject=opaque["expected_sub"])]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts))

    run = ansible_controller.playbook(playbook)

    assert run.rc == 0, run.output[-3000:]
    assert stored_accounts(stack)[opaque["expected_sub"]]["status"] == "active"
    result = role_result(run)["opaque-automation"]
    assert result["status_code"] == 200
    assert result["role"] == "standard"


@pytest.mark.parametrize(
    ("accounts", "named"),
    [
        ([{"name": "x", "state": "gone"}], "state"),
        ([{"subject": "no-name@clients"}], "name"),
        ([{"name": "x", "oauth2": {"provider": "facebook"}}], "provider"),
    ],
)
def test_argument_spec_refuses_bad_input_before_the_first_task(
    stack, ansible_controller, tmp_path, accounts, named
):
    reset_gateway(stack)
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts))

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert "service_account_accounts" in message
    assert named in message
    assert stack.token_requests() == []
    assert gateway_calls(stack) == []


def test_duplicate_client_is_refused_before_any_request(stack, ansible_controller, tmp_path):
    reset_gateway(stack)
    accounts = [client_account(stack, "demo"), client_account(stack, "demo", name="again")]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts))

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    assert "more than one account" in failure_message(run)
    assert stack.token_requests() == []
    assert gateway_calls(stack) == []


def test_without_verification_one_request_per_account_and_no_userinfo(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    accounts = [client_account(stack, name) for name in ("entra", "auth0", "keycloak")]
    variables = role_vars(stack, accounts, service_account_verify=False)
    playbook = write_role_playbook(tmp_path, variables)

    created = ansible_controller.playbook(playbook)

    assert created.rc == 0, created.output[-3000:]
    assert sorted(gateway_calls(stack)) == sorted(
        [("GET", ACCOUNTS_PATH)] * 3 + [("POST", ACCOUNTS_PATH)] * 3
    )
    assert not any(entry["verified"] for entry in role_result(created).values())

    stack.reset_logs()
    unchanged = ansible_controller.playbook(playbook)

    assert unchanged.rc == 0, unchanged.output[-3000:]
    assert unchanged.stats["changed"] == 0
    assert gateway_calls(stack) == [("GET", ACCOUNTS_PATH)] * 3
    assert len(stack.token_requests()) == 3


def test_account_given_by_subject_alone_gets_no_token(stack, ansible_controller, tmp_path):
    reset_gateway(stack)
    accounts = [{"name": "reserved", "subject": "reserved@clients", "state": "disabled"}]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts))

    run = ansible_controller.playbook(playbook)

    assert run.rc == 0, run.output[-3000:]
    assert stored_accounts(stack)["reserved@clients"]["status"] == "inactive"
    assert stack.token_requests() == []
    assert role_task(run, "Ask the gateway who each account's token is")["skipped"]


def test_verbose_run_prints_no_secret_and_no_token(stack, ansible_controller, tmp_path):
    reset_gateway(stack)
    register_admin_client(stack)
    accounts = [client_account(stack, "entra"), client_account(stack, "basic")]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts, admin="client"))

    run = ansible_controller.playbook(playbook, verbosity=3)

    assert run.rc == 0, run.output[-3000:]
    secrets = [stack.api_key] + [
        stack.clients[name]["client_secret"] for name in ("entra", "basic", "admin")
    ]
    for secret in secrets:
        assert secret not in run.output
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.", run.output)


def create_active_account(stack, client, groups=()):
    response = requests.post(
        stack.gateway_url + ACCOUNTS_PATH,
        headers={"Api-Key": stack.api_key},
        json={
            "subject": stack.clients[client]["expected_sub"],
            "name": "%s-automation" % client,
            "status": "active",
            "groups": list(groups),
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text


def test_revoking_the_administrator_clients_own_account_is_refused_before_any_write(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    register_admin_client(stack)
    create_active_account(stack, "demo")
    before = stored_accounts(stack)
    stack.reset_logs()
    accounts = [client_account(stack, "admin"), client_account(stack, "demo")]
    vars_file = write_vars_file(tmp_path, role_vars(stack, accounts, admin="client"))

    run = ansible_controller.playbook("hoop.gateway.revoke", args=("-e", "@%s" % vars_file))

    assert run.rc != 0
    message = failure_message(run)
    assert "admin-automation" in message
    assert stack.clients["admin"]["expected_sub"] in message
    assert "disable it" in message
    assert "lock itself out" in message
    assert "service_account_admin_api_key" in message
    assert "demo-automation" not in message
    assert writes(stack) == []
    assert stored_accounts(stack) == before
    assert stack.clients["admin"]["client_secret"] not in run.output


def test_taking_admin_from_the_administrator_clients_own_account_is_refused(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    register_admin_client(stack)
    stack.reset_logs()
    accounts = [
        client_account(stack, "demo"),
        client_account(stack, "admin", groups=["deployers"]),
    ]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts, admin="client"))

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert "admin-automation" in message
    assert stack.clients["admin"]["expected_sub"] in message
    assert 'out of group "admin"' in message
    assert 'keep "admin"' in message
    assert writes(stack) == []
    stored = stored_accounts(stack)
    assert stored[stack.clients["admin"]["expected_sub"]]["groups"] == ["admin"]
    assert stack.clients["demo"]["expected_sub"] not in stored


def test_administrator_clients_own_account_may_keep_admin_or_be_appended_to(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    register_admin_client(stack)
    stack.reset_logs()
    accounts = [client_account(stack, "admin", groups=["deployers"], append=True)]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts, admin="client"))

    run = ansible_controller.playbook(playbook)

    assert run.rc == 0, run.output[-3000:]
    stored = stored_accounts(stack)[stack.clients["admin"]["expected_sub"]]
    assert stored["groups"] == ["admin", "deployers"]
    assert stored["status"] == "active"
    assert role_result(run)["admin-automation"]["role"] == "admin"


def test_every_failed_token_is_named_with_its_reason_before_any_write(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    entra = stack.clients["entra"]
    wrong_secret = "not-the-secret-of-keycloak"
    accounts = [
        client_account(stack, "keycloak", client_secret=wrong_secret),
        client_account(stack, "auth0"),
        client_account(stack, "entra", subject=entra["client_id"]),
    ]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts))

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert "keycloak-automation" in message
    assert "its token could not be obtained" in message
    assert "invalid_client" in message or "401" in message
    # The other accounts were still checked: the subject mismatch is reported in the same run.
    assert "entra-automation" in message
    assert entra["expected_sub"] in message
    assert "auth0-automation" not in message
    assert len(stack.token_requests()) == 3
    assert wrong_secret not in run.output
    assert writes(stack) == []
    assert gateway_calls(stack) == []
    assert stored_accounts(stack) == {}


def test_failed_write_names_the_account_and_the_gateways_answer(
    stack, ansible_controller, tmp_path
):
    reset_gateway(stack)
    accounts = [client_account(stack, "entra"), client_account(stack, "auth0")]
    playbook = write_role_playbook(tmp_path, role_vars(stack, accounts, service_account_retries=0))
    stack.gateway_faults(status=500, count=1)

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert message.startswith('Account "entra-automation": ')
    assert "500" in message
    assert "auth0-automation" not in message
    stored = stored_accounts(stack)
    assert stack.clients["entra"]["expected_sub"] not in stored
    assert stored[stack.clients["auth0"]["expected_sub"]]["status"] == "active"
    assert gateway_calls(stack, "/api/userinfo") == []
    assert stack.api_key not in run.output


def test_missing_gateway_address_is_refused_before_any_token(stack, ansible_controller, tmp_path):
    reset_gateway(stack)
    variables = role_vars(stack, [client_account(stack, "entra")])
    del variables["service_account_api_url"]
    playbook = write_role_playbook(tmp_path, variables)

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert "service_account_api_url" in message
    assert "HOOP_APIURL" in message
    assert stack.token_requests() == []
    assert gateway_calls(stack) == []


def test_failed_administrator_token_is_named_before_any_write(stack, ansible_controller, tmp_path):
    reset_gateway(stack)
    wrong_secret = "not-the-secret-of-the-administrator"
    variables = role_vars(stack, [client_account(stack, "auth0")], admin="client")
    variables["service_account_admin_client"]["client_secret"] = wrong_secret
    playbook = write_role_playbook(tmp_path, variables)

    run = ansible_controller.playbook(playbook)

    assert run.rc != 0
    message = failure_message(run)
    assert message.startswith('Administrator client "%s"' % stack.clients["admin"]["client_id"])
    assert "service_account_admin_client" in message
    assert "invalid_client" in message
    assert "auth0-automation" not in message
    # The account's own token was still requested, so its problems would have been reported too.
    assert len(stack.token_requests()) == 2
    assert wrong_secret not in run.output
    assert gateway_calls(stack) == []
    assert stored_accounts(stack) == {}
