"""The AWX credential type shipped in meta/awx_credential_type must match what the modules read."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TYPE_DIR = ROOT / "meta" / "awx_credential_type"
READERS = [ROOT / "plugins" / "module_utils", ROOT / "plugins" / "plugin_utils"]
SECRET_INPUTS = {"api_key", "token", "client_secret"}


def load(name):
    return yaml.safe_load((TYPE_DIR / name).read_text(encoding="utf-8"))


def env_names_read_by_plugins():
    names = set()
    for folder in READERS:
        for path in folder.rglob("*.py"):
            names.update(re.findall(r"""["'](HOOP_[A-Z0-9_]+)["']""", path.read_text("utf-8")))
    return names


def template_names(template):
    return set(
        re.findall(r"\b([a-z_][a-z0-9_]*)\b", " ".join(re.findall(r"{[{%](.*?)[%}]}", template)))
    )


def test_every_injected_variable_is_read_by_the_modules():
    injected = set(load("injectors.yml")["env"])
    read = env_names_read_by_plugins()

    unread = sorted(injected - read)

    assert not unread, f"injected but read by no module_utils code: {unread}"


def test_injectors_only_use_declared_inputs():
    declared = {field["id"] for field in load("inputs.yml")["fields"]}
    injectors = load("injectors.yml")
    templates = list(injectors["env"].values()) + list(injectors.get("file", {}).values())
    # Jinja keywords and AWX's own namespace are not inputs.
    allowed = declared | {"if", "endif", "else", "tower", "filename", "ca"}

    used = set().union(*(template_names(template) for template in templates))

    assert used - allowed == set()


@pytest.mark.parametrize("field_id", sorted(SECRET_INPUTS))
def test_secret_inputs_are_marked_secret(field_id):
    fields = {field["id"]: field for field in load("inputs.yml")["fields"]}

    assert fields[field_id].get("secret") is True


def test_ca_file_is_only_pointed_at_when_it_has_content():
    injectors = load("injectors.yml")

    assert "template.ca" in injectors["file"]
    assert injectors["env"]["HOOP_TLSCA"].startswith("{% if ca_bundle %}")
