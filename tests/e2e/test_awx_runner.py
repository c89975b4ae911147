"""The setup playbook run the way AWX runs a job: through ansible-runner, with the
credentials only in the environment that the collection's AWX credential type injects."""

import os
import shutil
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml
from role_support import reset_gateway, stored_accounts

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
INJECTORS = ROOT / "meta" / "awx_credential_type" / "injectors.yml"


def injected_environment(inputs):
    """What AWX sets for a credential with ``inputs``: every injector variable, an empty
    string for an empty input."""
    injectors = yaml.safe_load(INJECTORS.read_text())["env"]
    env = {}
    for name, template in injectors.items():
        field = template.strip("{} ").split("}}")[0].strip()
        env[name] = inputs.get(field, "")
    return env


def files_containing(directory, secrets):
    found = []
    for path in Path(directory).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [str(path) for secret in secrets if secret.encode() in data]
    return found


def test_setup_through_ansible_runner_with_injected_credentials(stack, tmp_path, monkeypatch):
    reset_gateway(stack)
    demo = stack.clients["demo"]
    private = tmp_path / "job"
    (private / "project").mkdir(parents=True)
    (private / "inventory").mkdir()
    (private / "inventory" / "hosts").write_text("localhost ansible_connection=local\n")
    # An AWX project holds a playbook that imports the collection's.
    (private / "project" / "setup.yml").write_text(
        "---\n- name: Set up service accounts\n"
        "  ansible.builtin.import_playbook: hoop.gateway.setup\n"
    )
    envvars = injected_environment(
        {
            "api_url": stack.gateway_url,
            "api_key": stack.api_key,
            "token_url": stack.token_url,
            "client_id": demo["client_id"],
            "client_secret": demo["client_secret"],
        }
    )
    assert not any(name.startswith("HOOP_") and "{" in value for name, value in envvars.items())
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".cache" / "collections")
    for name in list(os.environ):
        if name.startswith("HOOP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])

    run = ansible_runner.run(
        private_data_dir=str(private),
        playbook="setup.yml",
        envvars=envvars,
        quiet=True,
    )
    stdout = run.stdout.read()

    assert run.status == "successful", stdout[-3000:]
    assert run.rc == 0
    account = stored_accounts(stack)[demo["expected_sub"]]
    # With no account list, the account is the injected client, named after its id.
    assert account["name"] == demo["client_id"]
    assert account["status"] == "active"
    secrets = [stack.api_key, demo["client_secret"]]
    assert not any(secret in stdout for secret in secrets)

    # ansible-runner keeps the job's environment, secrets included, in env/envvars and in the
    # artifacts; AWX deletes both with the job's directory. Nothing else may hold a secret.
    assert files_containing(private / "env", secrets)
    shutil.rmtree(private / "artifacts")
    (private / "env" / "envvars").unlink()
    assert files_containing(private, secrets) == []
