"""The collection's playbooks, run by their FQCN with a vars file, as a user runs them, and
the demo that `make demo` runs."""

import os
import re
import subprocess
from pathlib import Path

import pytest
from role_support import (
    client_account,
    gateway_calls,
    reset_gateway,
    role_result,
    role_vars,
    stored_accounts,
    write_vars_file,
)

pytestmark = pytest.mark.slow


def test_setup_show_revoke_by_fqcn(stack, ansible_controller, tmp_path):
    reset_gateway(stack)
    accounts = [
        client_account(stack, "entra", groups=["deployers"]),
        client_account(stack, "keycloak"),
    ]
    vars_file = write_vars_file(tmp_path, role_vars(stack, accounts))
    extra = ("-e", "@%s" % vars_file)
    entra_sub = stack.clients["entra"]["expected_sub"]
    keycloak_sub = stack.clients["keycloak"]["expected_sub"]

    setup = ansible_controller.playbook("hoop.gateway.setup", args=extra)

    assert setup.rc == 0, setup.output[-3000:]
    stored = stored_accounts(stack)
    assert stored[entra_sub]["status"] == "active"
    assert stored[entra_sub]["groups"] == ["deployers"]
    assert stored[keycloak_sub]["name"] == "keycloak-automation"

    show = ansible_controller.playbook("hoop.gateway.show", args=extra)

    assert show.rc == 0, show.output[-3000:]
    table = show.result("Show them")["msg"]
    assert table[0].split() == ["SUBJECT", "NAME", "STATUS", "GROUPS"]
    rows = {line.split()[0]: line.split()[1:] for line in table[1:-1]}
    assert rows[entra_sub] == ["entra-automation", "active", "deployers"]
    assert rows[keycloak_sub] == ["keycloak-automation", "active", "-"]
    assert table[-1] == "2 service account(s)"

    revoke = ansible_controller.playbook("hoop.gateway.revoke", args=extra)

    assert revoke.rc == 0, revoke.output[-3000:]
    stored = stored_accounts(stack)
    assert stored[entra_sub]["status"] == "inactive"
    assert stored[keycloak_sub]["status"] == "inactive"
    assert {entry["status_code"] for entry in role_result(revoke).values()} == {401}

    stack.reset_logs()
    inactive = ansible_controller.playbook(
        "hoop.gateway.show", args=extra + ("-e", '{"show_status": "inactive"}')
    )

    assert inactive.rc == 0, inactive.output[-3000:]
    assert inactive.result("Show them")["msg"][-1] == "2 service account(s)"
    assert gateway_calls(stack) == [("GET", "/api/serviceaccounts")]


def test_setup_takes_every_credential_from_the_environment(stack, ansible, tmp_path):
    """Only the account's display name in a vars file; gateway, administrator and client in
    HOOP_ variables, as `make demo` uses a real gateway."""
    reset_gateway(stack)
    demo = stack.clients["demo"]
    vars_file = write_vars_file(tmp_path, {"service_account_accounts": [{"name": "from-env"}]})
    env = {
        "HOOP_APIURL": stack.gateway_url,
        "HOOP_APIKEY": stack.api_key,
        "HOOP_TOKEN_URL": stack.token_url,
        "HOOP_CLIENT_ID": demo["client_id"],
        "HOOP_CLIENT_SECRET": demo["client_secret"],
    }

    run = ansible.playbook("hoop.gateway.setup", env=env, args=("-e", "@%s" % vars_file))

    assert run.rc == 0, run.output[-3000:]
    assert stored_accounts(stack)[demo["expected_sub"]]["name"] == "from-env"
    assert role_result(run)["from-env"]["status_code"] == 200
    # The administrator is the API key although a client is in the environment too.
    assert {e["credential"] for e in stack.gateway_requests() if e["method"] == "POST"} == {
        "api-key"
    }
    for secret in (stack.api_key, demo["client_secret"]):
        assert secret not in run.output


def test_demo_flow_runs_end_to_end_without_printing_credentials(tmp_path):
    """`make demo` after its bootstrap: the local stack, setup, userinfo, an unchanged second
    run, revoke, 401, the table, and the stack stopped again."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOP_", "ANSIBLE_"))}
    env["TMPDIR"] = str(tmp_path)

    proc = subprocess.run(
        ["bash", str(root / "scripts" / "demo-flow")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = proc.stdout + proc.stderr

    assert proc.returncode == 0, output[-3000:]
    assert "second run: changed=0" in output
    assert re.search(r"status_code: 200", output)
    assert re.search(r"status_code: 401", output)
    assert "hoop-demo  demo-automation  inactive  deployers" in output
    assert "local stack stopped" in output
    # Organisation keys and JWTs have recognisable shapes; neither may be printed.
    assert "xapi-" not in output
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.", output)
    # The demo's working directory, with the stack's keys, is gone.
    assert list(tmp_path.iterdir()) == []
