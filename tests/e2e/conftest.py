"""Run ansible and ansible-playbook against the local stack and read their JSON results.

Every module test runs through both execution paths: ``controller`` (the action plugin runs
the logic in the controller's worker) and ``module`` (the module is shipped and started as
its own process, as on any remote host). The ``exec_path`` fixture is parametrised over both.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".cache" / "collections"
BIN = Path(sys.executable).parent

# Environment variables a developer's shell may hold that would change what a test means.
_SCRUBBED_PREFIXES = ("HOOP_", "ANSIBLE_")


def _base_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="e2e_json",
        ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).resolve().parent / "callback_plugins"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
    )
    env.update(extra or {})
    return env


class AnsibleRun:
    """The outcome of one ansible or ansible-playbook command."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        try:
            self.data = json.loads(proc.stdout[proc.stdout.index("{") :])
        except ValueError:
            self.data = None

    @property
    def output(self):
        return self.stdout + self.stderr

    def task_results(self, task_name=None):
        """Results of every task (or of the named task) on localhost, in play order."""
        found = []
        for play in (self.data or {}).get("plays", []):
            for task in play.get("tasks", []):
                if task_name is None or task["task"]["name"] == task_name:
                    found.append(task["hosts"].get("localhost"))
        return found

    def result(self, task_name=None):
        results = self.task_results(task_name)
        assert results, "no task %r in output:\n%s" % (task_name, self.output[-3000:])
        return results[-1]

    @property
    def stats(self):
        return (self.data or {}).get("stats", {}).get("localhost", {})


class Ansible:
    """Runs modules and playbooks on localhost through the chosen execution path."""

    def __init__(self, exec_path="controller", tmp_path=None):
        self.exec_path = exec_path
        self.tmp_path = Path(tmp_path or tempfile.mkdtemp())

    def _path_vars(self):
        return {"hoop_gateway_in_process": self.exec_path == "controller"}

    def module(
        self,
        name,
        args,
        env=None,
        check=False,
        diff=False,
        verbosity=0,
        task_environment=None,
        task_extra=None,
    ):
        """Run one module task in a playbook; returns (AnsibleRun, result dict)."""
        task = {"name": "under test", name if "." in name else "hoop.gateway." + name: args}
        if task_environment:
            task["environment"] = task_environment
        task.update(task_extra or {})
        run = self.playbook([task], env=env, check=check, diff=diff, verbosity=verbosity)
        return run, run.result("under test")

    def playbook(self, tasks_or_path, env=None, check=False, diff=False, verbosity=0, args=()):
        if isinstance(tasks_or_path, (str, Path)):
            path = Path(tasks_or_path)
        else:
            play = [
                {
                    "name": "e2e",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars": self._path_vars(),
                    "tasks": tasks_or_path,
                }
            ]
            fd, name = tempfile.mkstemp(suffix=".yml", dir=self.tmp_path)
            with os.fdopen(fd, "w") as handle:
                json.dump(play, handle)
            path = Path(name)
        cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)]
        cmd += ["-e", json.dumps(self._path_vars())]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        cmd += list(args)
        proc = subprocess.run(
            cmd,
            env=_base_env(env),
            capture_output=True,
            text=True,
            timeout=300,
            cwd=str(self.tmp_path),
            check=False,
        )
        return AnsibleRun(proc)

    def adhoc(self, module, args, env=None, check=False, verbosity=0, callback="e2e_json"):
        """``ansible localhost -m ...``, the way a user runs a module ad hoc."""
        cmd = [str(BIN / "ansible"), "localhost", "-m", module, "-a", json.dumps(args)]
        cmd += ["-e", json.dumps(self._path_vars())]
        if check:
            cmd.append("--check")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        extra = {"ANSIBLE_STDOUT_CALLBACK": callback}
        extra.update(env or {})
        proc = subprocess.run(
            cmd,
            env=_base_env(extra),
            capture_output=True,
            text=True,
            timeout=300,
            cwd=str(self.tmp_path),
            check=False,
        )
        return AnsibleRun(proc)


@pytest.fixture(params=["controller", "module"])
def exec_path(request):
    return request.param


@pytest.fixture
def ansible(exec_path, tmp_path):
    return Ansible(exec_path, tmp_path)


@pytest.fixture
def ansible_controller(tmp_path):
    return Ansible("controller", tmp_path)
