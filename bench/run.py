#!/usr/bin/env python
# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection costs on the controller, against ansible.builtin.uri doing the same job.

Starts the local stack (tests/stack), runs ansible-playbook against it repeatedly and prints
a Markdown table with the minimum, median and maximum of every figure. The table and the raw
figures are written to bench/results/ (``<timestamp>.md``/``.json`` and ``latest.md``/``.json``).

    .venv/bin/python bench/run.py [--repeat N] [--quick] [--only sa,token,role,memory]

Per-task time is (wall time of a playbook with N such tasks - wall time of the same playbook
with none) / N. Peak memory and CPU time are those of the process tree of one run, read from
the kernel's accounting of the reaped child (wait4), so no sampling is involved.
"""

import argparse
import contextlib
import copy
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PLAYBOOKS = BENCH / "playbooks"
RESULTS = BENCH / "results"
COLLECTIONS = ROOT / ".cache" / "collections"
STACK_DIR = ROOT / "tests" / "stack"

sys.path.insert(0, str(STACK_DIR))
from hoopstack.launcher import Stack  # noqa: E402

# The targets the collection is held to; reported as PASS/MISS, never asserted.
PER_TASK_RATIO_TARGET = 0.2
ROLE_RATIO_TARGET = 0.5

BENCH_CLIENT_PREFIX = "bench"
ACCOUNT_GROUPS = ["bench", "readers"]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

PATHS = (
    ("controller", "action plugin (in-process)"),
    ("module", "shipped module"),
    ("uri", "ansible.builtin.uri"),
)
FORMS = (("tasks", "separate tasks"), ("loop", "one task with loop"))


def python_bin():
    venv = ROOT / ".venv" / "bin" / "python"
    return venv if venv.exists() else Path(sys.executable)


def ansible_bin(name):
    return python_bin().parent / name


# -- measuring -------------------------------------------------------------------------------


class Run:
    """One process run: wall time, peak resident set of its tree, exit code and output."""

    def __init__(self, wall, maxrss_kib, rc, stdout, stderr, cpu=None):
        self.wall = wall
        self.cpu = cpu
        self.maxrss_mib = maxrss_kib / 1024.0
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def json(self):
        try:
            return json.loads(self.stdout[self.stdout.index("{") :])
        except ValueError:
            return None

    def recap(self):
        """The PLAY RECAP counters of localhost, from the default callback's output."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("localhost") and "ok=" in line:
                return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        return {}


# Runs the measured command as its child and reports its wall time and peak RSS. Linux carries
# a process's peak RSS across fork and exec, so a command started straight from this script
# would report at least this script's own size; this small interpreter (no site, no imports
# beyond the standard library's core) is the parent whose size is inherited instead.
_MEASURE = """
import json, os, subprocess, sys, time
began = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - began
with open(sys.argv[1], "w") as handle:
    json.dump({"wall": wall, "maxrss": usage.ru_maxrss,
               "cpu": usage.ru_utime + usage.ru_stime,
               "rc": os.waitstatus_to_exitcode(status)}, handle)
"""


def measure(cmd, env, cwd):
    """Run ``cmd``; wait4 in the wrapper accounts for this command's process tree alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        fd, stat_path = tempfile.mkstemp(prefix="bench-measure-", suffix=".json")
        os.close(fd)
        try:
            wrapper = [str(python_bin()), "-S", "-c", _MEASURE, stat_path]
            subprocess.run(wrapper + cmd, env=env, cwd=cwd, stdout=out, stderr=err, check=True)  # noqa: S603
            stat = json.loads(Path(stat_path).read_text())
        finally:
            os.unlink(stat_path)
        out.seek(0)
        err.seek(0)
        return Run(
            stat["wall"],
            stat["maxrss"],
            stat["rc"],
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            cpu=stat["cpu"],
        )


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


# -- the stack and its clients ---------------------------------------------------------------


def write_clients_file(path, accounts):
    """The stack's own clients plus one client_secret_post client per benchmark account."""
    spec = json.loads((STACK_DIR / "clients.json").read_text())
    for index in range(accounts):
        name = "%s%02d" % (BENCH_CLIENT_PREFIX, index)
        spec["clients"][name] = {
            "client_id": "hoop-bench-%02d" % index,
            "auth_method": "client_secret_post",
            "scopes": ["openid", "hoop:read"],
        }
    path.write_text(json.dumps(spec, indent=2))
    return path


class Gateway:
    """Direct calls to the stack for setting state up and reading its request logs."""

    def __init__(self, stack):
        self.stack = stack
        self.session = requests.Session()
        self.session.headers["Api-Key"] = stack.api_key

    def reset(self):
        response = self.session.post(self.stack.gateway_url + "/__stack/reset", timeout=10)
        response.raise_for_status()

    def ensure(self, subject, name, groups):
        body = {"subject": subject, "name": name, "status": "active", "groups": groups}
        url = self.stack.gateway_url + "/api/serviceaccounts"
        response = self.session.post(url, json=body, timeout=10)
        if response.status_code == 409:
            response = self.session.put(
                url + "/" + requests.utils.quote(subject, safe=""), json=body, timeout=10
            )
        response.raise_for_status()

    def counts(self):
        """Token requests at the authorization server, gateway /api requests by method."""
        tokens = [r for r in self.stack.token_requests() if r.get("path", "").endswith("/token")]
        by_method = {}
        for entry in self.stack.gateway_requests():
            if entry["path"].startswith("/api/"):
                by_method[entry["method"]] = by_method.get(entry["method"], 0) + 1
        return {
            "token_requests": len(tokens),
            "token_clients": len({r.get("client_id") for r in tokens}),
            "gateway": by_method,
        }


# -- playbooks -------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, stack, workdir):
        self.args = args
        self.stack = stack
        self.gateway = Gateway(stack)
        self.workdir = workdir
        self.secrets = [stack.api_key] + [
            c.get("client_secret") for c in stack.clients.values() if c.get("client_secret")
        ]
        self.vars_path = workdir / "vars.json"
        self.env = self._env()
        self.admin = stack.clients["admin"]
        self.demo = stack.clients["demo"]
        self.accounts = [
            {
                "name": "bench-account-%02d" % i,
                "client": stack.clients["%s%02d" % (BENCH_CLIENT_PREFIX, i)],
            }
            for i in range(args.accounts)
        ]
        self._write_vars()

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOP_", "ANSIBLE_"))}
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
            # The default callback, as users run it; its recap holds the counters we check.
            ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_PYTHON_INTERPRETER=str(python_bin()),
        )
        return env

    def _write_vars(self):
        # Secrets of the throw-away stack go to the stack's private state directory only, never
        # to bench/results, and are handed to ansible-playbook as an extra-vars file.
        values = {
            "ansible_python_interpreter": str(python_bin()),
            "bench_gateway_url": self.stack.gateway_url,
            "bench_api_key": self.stack.api_key,
            "bench_token_url": self.stack.token_url,
            "bench_issuer": self.stack.issuer,
            "bench_subject": "bench-existing-account",
            "bench_account_name": "bench existing account",
            "bench_account_groups": ACCOUNT_GROUPS,
            "bench_client_id": self.demo["client_id"],
            "bench_client_secret": self.demo["client_secret"],
            "bench_admin": {
                "client_id": self.admin["client_id"],
                "client_secret": self.admin["client_secret"],
                "subject": self.admin["expected_sub"],
            },
            "bench_accounts": [
                {
                    "name": a["name"],
                    "client_id": a["client"]["client_id"],
                    "client_secret": a["client"]["client_secret"],
                    "groups": ACCOUNT_GROUPS,
                }
                for a in self.accounts
            ],
        }
        fd = os.open(self.vars_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(values, handle)

    def scrub(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text

    def playbook(self, path, extra_vars=None, check=True):
        cmd = [str(ansible_bin("ansible-playbook")), "-i", "localhost,", str(path)]
        cmd += ["-e", "@" + str(self.vars_path)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        run = measure(cmd, self.env, self.workdir)
        if check:
            self._check(run, path)
        return run

    def _check(self, run, path):
        recap = run.recap()
        if run.rc != 0 or recap.get("failed") or recap.get("unreachable"):
            failed = [
                line
                for line in run.stdout.splitlines()
                if line.startswith(("fatal:", "failed:")) or "ERROR" in line
            ]
            detail = "\n".join(failed[:3]) or (run.stderr[-2000:] or run.stdout[-2000:])
            raise SystemExit(
                "bench: %s failed (exit %d):\n%s" % (path.name, run.rc, self.scrub(detail)[:3000])
            )

    def play(self, name, tasks, in_process=True):
        """Write a one-play playbook with ``tasks`` and return its path."""
        play = [
            {
                "name": name,
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "vars": {"hoop_gateway_in_process": in_process},
                "tasks": tasks,
            }
        ]
        path = self.workdir / (name.replace(" ", "_") + ".yml")
        path.write_text(json.dumps(play, indent=1))
        return path

    # -- 1 and 2: per-task cost ------------------------------------------------------------

    def micro_playbooks(self, template, uri_template):
        count = self.args.tasks
        made = {}
        for path_key, _label in PATHS:
            source = uri_template if path_key == "uri" else template
            task = yaml.safe_load((PLAYBOOKS / "tasks" / source).read_text())[0]
            in_process = path_key != "module"
            separate = []
            for index in range(count):
                copy_ = copy.deepcopy(task)
                copy_["name"] = "%s %d" % (task["name"], index + 1)
                separate.append(copy_)
            looped = copy.deepcopy(task)
            looped["loop"] = "{{ range(%d) | list }}" % count
            stem = "%s_%s" % (template.split(".")[0], path_key)
            made[(path_key, "tasks")] = self.play(stem + "_tasks", separate, in_process)
            made[(path_key, "loop")] = self.play(stem + "_loop", [looped], in_process)
        return made

    def baseline(self):
        return self.play("baseline", [], True)

    def micro(self, label, template, uri_template, baselines):
        playbooks = self.micro_playbooks(template, uri_template)
        walls = {key: [] for key in playbooks}
        cpus = {key: [] for key in playbooks}
        rss = {key: [] for key in playbooks}
        requests_seen = {key: [] for key in playbooks}
        for rep in range(self.args.repeat):
            base = self.playbook(self.baseline())
            baselines.append({"wall": base.wall, "cpu": base.cpu})
            for key, path in playbooks.items():
                self.stack.reset_logs()
                run = self.playbook(path)
                walls[key].append(run.wall)
                cpus[key].append(run.cpu)
                rss[key].append(run.maxrss_mib)
                requests_seen[key].append(self.gateway.counts())
            progress("%s: repetition %d/%d done" % (label, rep + 1, self.args.repeat))
        return {"walls": walls, "cpus": cpus, "rss": rss, "requests": requests_seen}

    def prepare_existing_account(self):
        self.gateway.reset()
        self.gateway.ensure("bench-existing-account", "bench existing account", ACCOUNT_GROUPS)

    # -- 3 and 4: the role against a hand-written uri playbook -----------------------------

    def role_playbook(self):
        return PLAYBOOKS / "role.yml"

    def uri_playbook(self):
        return PLAYBOOKS / "uri_accounts.yml"

    def from_nothing(self):
        """An empty gateway except for the administrator the job authenticates as."""
        self.gateway.reset()
        self.gateway.ensure(self.admin["expected_sub"], "bench administrator", ["admin"])
        self.stack.reset_logs()

    def check_state(self):
        """Every account registered under its token's subject, with the wanted groups."""
        listing = self.gateway.session.get(
            self.stack.gateway_url + "/api/serviceaccounts", timeout=10
        ).json()
        stored = {sa["subject"]: sa for sa in listing or []}
        for account in self.accounts:
            sa = stored.get(account["client"]["expected_sub"])
            if sa is None or sorted(sa["groups"]) != sorted(ACCOUNT_GROUPS):
                raise SystemExit(
                    "bench: account %s is not on the gateway as expected after the run"
                    % account["name"]
                )
            if sa["status"] != "active":
                raise SystemExit("bench: account %s is not active" % account["name"])

    def job(self):
        results = {}
        for kind in ("role", "uri"):
            results[kind] = {"create": [], "rerun": [], "rss": []}
        for rep in range(self.args.repeat):
            # Alternate which one goes first, so that neither always runs on a warm cache.
            order = ("role", "uri") if rep % 2 == 0 else ("uri", "role")
            for kind in order:
                path = self.role_playbook() if kind == "role" else self.uri_playbook()
                self.from_nothing()
                first = self.playbook(path)
                first_counts = self.gateway.counts()
                first_changed = changed_count(first)
                self.check_state()
                self.stack.reset_logs()
                second = self.playbook(path)
                second_counts = self.gateway.counts()
                second_changed = changed_count(second)
                results[kind]["create"].append(
                    {
                        "wall": first.wall,
                        "cpu": first.cpu,
                        "counts": first_counts,
                        "changed": first_changed,
                    }
                )
                results[kind]["rerun"].append(
                    {
                        "wall": second.wall,
                        "cpu": second.cpu,
                        "counts": second_counts,
                        "changed": second_changed,
                    }
                )
                results[kind]["rss"].append(max(first.maxrss_mib, second.maxrss_mib))
            progress("service-account job: repetition %d/%d done" % (rep + 1, self.args.repeat))
        return results

    # -- 5: the module process alone ---------------------------------------------------------

    def module_alone(self):
        """Each module run as its own process with an args file, the way a remote host runs
        it (minus the transfer), for its peak resident set and wall time."""
        cases = {
            "hoop_serviceaccount": (
                "ansible_collections.hoop.gateway.plugins.modules.hoop_serviceaccount",
                {
                    "api_url": self.stack.gateway_url,
                    "api_key": self.stack.api_key,
                    "subject": "bench-existing-account",
                    "name": "bench existing account",
                    "groups": ACCOUNT_GROUPS,
                },
            ),
            "hoop_token": (
                "ansible_collections.hoop.gateway.plugins.modules.hoop_token",
                {
                    "token_url": self.stack.token_url,
                    "client_id": self.demo["client_id"],
                    "client_secret": self.demo["client_secret"],
                    "auth_method": "client_secret_post",
                },
            ),
            "uri (GET list)": (
                "ansible.modules.uri",
                {
                    "url": self.stack.gateway_url + "/api/serviceaccounts",
                    "headers": {"Api-Key": self.stack.api_key},
                },
            ),
            "uri (token)": (
                "ansible.modules.uri",
                {
                    "url": self.stack.token_url,
                    "method": "POST",
                    "body_format": "form-urlencoded",
                    "body": {
                        "grant_type": "client_credentials",
                        "client_id": self.demo["client_id"],
                        "client_secret": self.demo["client_secret"],
                    },
                },
            ),
        }
        env = dict(self.env)
        env["PYTHONPATH"] = str(COLLECTIONS)
        out = {}
        for name, (module, module_args) in cases.items():
            if not module_available(module):
                continue
            args_path = self.workdir / "module-args.json"
            fd = os.open(args_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({"ANSIBLE_MODULE_ARGS": module_args}, handle)
            walls, rss = [], []
            try:
                for _attempt in range(self.args.repeat):
                    cmd = [str(python_bin()), "-m", module, str(args_path)]
                    run = measure(cmd, env, self.workdir)
                    result = run.json() or {}
                    if run.rc != 0 or result.get("failed"):
                        raise SystemExit(
                            "bench: %s run alone failed: %s"
                            % (name, self.scrub(str(result.get("msg") or run.stderr[-1000:])))
                        )
                    walls.append(run.wall)
                    rss.append(run.maxrss_mib)
            finally:
                args_path.unlink()
            out[name] = {"wall": walls, "rss": rss}
        return out


def changed_count(run):
    return run.recap().get("changed")


def module_available(module):
    if module.startswith("ansible.modules."):
        return True
    parts = module.split(".")
    return (ROOT / Path(*parts[3:])).with_suffix(".py").exists()


def role_available():
    return (ROOT / "roles" / "service_account" / "tasks" / "main.yml").exists()


def progress(message):
    print("[bench] " + message, file=sys.stderr, flush=True)


# -- report ----------------------------------------------------------------------------------


def machine():
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import ansible.release

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        # Other work on the machine skews every figure; the load says how much there was.
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(),
        "ansible_core": ansible.release.__version__,
        "platform": platform.platform(),
    }


def ms(value):
    return "%.1f" % (value * 1000.0)


def fmt_spread(s, scale=ms, unit=""):
    if s is None:
        return "n/a"
    return "%s / **%s** / %s%s" % (scale(s["min"]), scale(s["median"]), scale(s["max"]), unit)


def mib(value):
    return "%.0f" % value


def verdict(ok):
    return "PASS" if ok else "MISS"


def summarise_micro(raw, baseline, count):
    """Per-task figures from the raw walls, with the median baseline subtracted."""
    base = statistics.median(b["wall"] for b in baseline)
    base_cpu = statistics.median(b["cpu"] for b in baseline)
    figures = {}
    for (path_key, form), walls in raw["walls"].items():
        per_task = [(w - base) / count for w in walls]
        cpu_per_task = [(c - base_cpu) / count for c in raw["cpus"][(path_key, form)]]
        figures.setdefault(path_key, {})[form] = {
            "per_task": spread(per_task),
            "cpu_per_task": spread(cpu_per_task),
            "wall": spread(walls),
            "rss_mib": spread(raw["rss"][(path_key, form)]),
            "walls_s": walls,
            "requests": raw["requests"][(path_key, form)],
        }
    return figures


def request_targets(key, figures, count, targets):
    """Each measured task makes the requests its job needs and no more."""
    for path_key, path_label in PATHS[:2]:
        runs = [c for form, _label in FORMS for c in figures[path_key][form]["requests"]]
        if key == "sa":
            ok = all(
                c["gateway"].get("GET", 0) == count
                and sum(c["gateway"].get(m, 0) for m in WRITE_METHODS) == 0
                for c in runs
            )
            wanted = "%d GET, no write, per run of %d tasks" % (count, count)
            seen = sorted({methods(c["gateway"]) for c in runs})
        else:
            ok = all(c["token_requests"] == count for c in runs)
            wanted = "%d token requests per run of %d tasks" % (count, count)
            seen = sorted({"%d token requests" % c["token_requests"] for c in runs})
        targets.append(
            {
                "target": "%s, %s: %s" % (key, path_label, wanted),
                "value": "; ".join(seen),
                "headline": False,
                "ok": ok,
            }
        )


def micro_section(title, figures, lines, targets, key):
    lines.append("### %s" % title)
    lines.append("")
    lines.append(
        "Per-task wall time in ms (min / **median** / max); in brackets the median per-task CPU "
        "time of the ansible-playbook process tree (user + system, the servers excluded), which "
        "other load on the machine disturbs less; peak RSS of that tree in MiB (median)."
    )
    lines.append("")
    header = "| form | " + " | ".join(label for _key, label in PATHS)
    header += " | ratio in-process / uri | ratio shipped / uri |"
    lines.append(header)
    lines.append("|" + " --- |" * (len(PATHS) + 3))
    for form, form_label in FORMS:
        cells = []
        for path_key, _label in PATHS:
            fig = figures[path_key][form]
            cells.append(
                "%s ms (CPU %s ms), %s MiB"
                % (
                    fmt_spread(fig["per_task"]),
                    ms(fig["cpu_per_task"]["median"]),
                    mib(fig["rss_mib"]["median"]),
                )
            )
        uri = figures["uri"][form]["per_task"]["median"]
        ratio = figures["controller"][form]["per_task"]["median"] / uri if uri > 0 else None
        shipped = figures["module"][form]["per_task"]["median"] / uri if uri > 0 else None
        figures.setdefault("ratios", {})[form] = {"in_process": ratio, "shipped": shipped}
        ok = ratio is not None and ratio <= PER_TASK_RATIO_TARGET
        targets.append(
            {
                "target": "%s, %s: per-task ratio in-process / uri <= %s"
                % (key, form_label, PER_TASK_RATIO_TARGET),
                "value": "%.3f" % ratio if ratio is not None else "n/a",
                "headline": form == "tasks",
                "ok": ok,
            }
        )
        lines.append(
            "| %s | %s | %s %s | %s |"
            % (
                form_label,
                " | ".join(cells),
                "%.3f" % ratio if ratio is not None else "n/a",
                verdict(ok),
                "%.3f" % shipped if shipped is not None else "n/a",
            )
        )
    lines.append("")


def job_section(job, accounts, lines, targets):
    lines.append("### Service-account job: %d accounts, role against hand-written uri" % accounts)
    lines.append("")
    lines.append(
        "Wall time in s (min / **median** / max); requests counted on the stack's logs "
        "(last repetition); peak RSS in MiB (median)."
    )
    lines.append("")
    lines.append(
        "| run | role (hoop.gateway.service_account) | uri playbook | ratio role / uri "
        "| role: token requests | role: gateway requests | uri: token requests "
        "| uri: gateway requests |"
    )
    lines.append("|" + " --- |" * 8)
    summary = {}
    for phase, label in (("create", "from nothing"), ("rerun", "re-run, unchanged")):
        role_walls = [r["wall"] for r in job["role"][phase]]
        uri_walls = [r["wall"] for r in job["uri"][phase]]
        ratio = statistics.median(role_walls) / statistics.median(uri_walls)
        role_counts = job["role"][phase][-1]["counts"]
        uri_counts = job["uri"][phase][-1]["counts"]
        summary[phase] = {
            "role_wall": spread(role_walls),
            "uri_wall": spread(uri_walls),
            "role_cpu": spread([r["cpu"] for r in job["role"][phase]]),
            "uri_cpu": spread([r["cpu"] for r in job["uri"][phase]]),
            "ratio": ratio,
            "role_counts": role_counts,
            "uri_counts": uri_counts,
            "role_changed": [r["changed"] for r in job["role"][phase]],
            "uri_changed": [r["changed"] for r in job["uri"][phase]],
        }
        lines.append(
            "| %s | %s | %s | %.3f %s | %d | %s | %d | %s |"
            % (
                label,
                fmt_spread(spread(role_walls), scale=lambda v: "%.2f" % v),
                fmt_spread(spread(uri_walls), scale=lambda v: "%.2f" % v),
                ratio,
                verdict(ratio <= ROLE_RATIO_TARGET),
                role_counts["token_requests"],
                methods(role_counts["gateway"]),
                uri_counts["token_requests"],
                methods(uri_counts["gateway"]),
            )
        )
        targets.append(
            {
                "target": "role, %s: wall time ratio role / uri <= %s" % (label, ROLE_RATIO_TARGET),
                "value": "%.3f" % ratio,
                "headline": True,
                "ok": ratio <= ROLE_RATIO_TARGET,
            }
        )
        every = [r["counts"] for r in job["role"][phase]]
        tokens_ok = all(
            c["token_requests"] == accounts + 1 and c["token_clients"] == accounts + 1
            for c in every
        )
        targets.append(
            {
                "target": "role, %s: token requests = one per client credential (%d)"
                % (label, accounts + 1),
                "value": ", ".join(str(c["token_requests"]) for c in every),
                "headline": True,
                "ok": tokens_ok,
            }
        )
        writes_expected = accounts if phase == "create" else 0
        gateway_ok = all(
            c["gateway"].get("GET", 0) == accounts
            and sum(c["gateway"].get(m, 0) for m in WRITE_METHODS) == writes_expected
            for c in every
        )
        targets.append(
            {
                "target": "role, %s: gateway requests = %d GET + %d writes"
                % (label, accounts, writes_expected),
                "value": "; ".join(methods(c["gateway"]) for c in every),
                "headline": True,
                "ok": gateway_ok,
            }
        )
    rss_role = spread(job["role"]["rss"])
    rss_uri = spread(job["uri"]["rss"])
    lines.append("")
    lines.append(
        "Peak RSS: role %s MiB, uri playbook %s MiB. Changed tasks on the re-run: role %s, "
        "uri %s."
        % (
            mib(rss_role["median"]),
            mib(rss_uri["median"]),
            summary["rerun"]["role_changed"],
            summary["rerun"]["uri_changed"],
        )
    )
    lines.append(
        "CPU time of the ansible-playbook process tree, median: from nothing role %.2f s, uri "
        "%.2f s; re-run role %.2f s, uri %.2f s."
        % (
            summary["create"]["role_cpu"]["median"],
            summary["create"]["uri_cpu"]["median"],
            summary["rerun"]["role_cpu"]["median"],
            summary["rerun"]["uri_cpu"]["median"],
        )
    )
    lines.append("")
    summary["rss_mib"] = {"role": rss_role, "uri": rss_uri}
    return summary


def methods(by_method):
    if not by_method:
        return "none"
    return ", ".join("%d %s" % (n, m) for m, n in sorted(by_method.items()))


def alone_section(alone, lines):
    lines.append("### A module process alone")
    lines.append("")
    lines.append(
        "Each module started as its own Python process with an arguments file (what a shipped "
        "module costs on the target, without the transfer)."
    )
    lines.append("")
    lines.append("| module | wall time, ms (min / **median** / max) | peak RSS, MiB (median) |")
    lines.append("| --- | --- | --- |")
    summary = {}
    for name, figures in alone.items():
        summary[name] = {
            "wall": spread(figures["wall"]),
            "rss_mib": spread(figures["rss"]),
            "walls_s": figures["wall"],
        }
        lines.append(
            "| %s | %s | %s |"
            % (
                name,
                fmt_spread(summary[name]["wall"]),
                mib(summary[name]["rss_mib"]["median"]),
            )
        )
    lines.append("")
    return summary


def report(args, info, started, duration, baseline, micro, job, alone):
    lines = ["# hoop.gateway benchmark, %s" % started, ""]
    lines.append(
        "Machine: %s, %s cores; Python %s; ansible-core %s; %s."
        % (info["cpu"], info["cores"], info["python"], info["ansible_core"], info["platform"])
    )
    lines.append(
        "Load average (1, 5, 15 min) at start %s, at end %s."
        % (info["load_average"], info.get("load_average_end"))
    )
    lines.append(
        "Repetitions: %d; %d tasks per per-task run; %d accounts; total bench time %.0f s."
        % (args.repeat, args.tasks, args.accounts, duration)
    )
    lines.append("")
    data = {
        "started": started,
        "machine": info,
        "settings": {"repeat": args.repeat, "tasks": args.tasks, "accounts": args.accounts},
        "duration_s": duration,
        "targets": [],
    }
    targets = data["targets"]
    if baseline:
        data["baseline_wall_s"] = spread([b["wall"] for b in baseline])
        data["baseline_cpu_s"] = spread([b["cpu"] for b in baseline])
        lines.append(
            "Baseline (the same playbook with no tasks): %s s wall, %s s CPU."
            % (
                fmt_spread(data["baseline_wall_s"], scale=lambda v: "%.2f" % v),
                fmt_spread(data["baseline_cpu_s"], scale=lambda v: "%.2f" % v),
            )
        )
        lines.append("")
    titles = {
        "sa": "hoop_serviceaccount, unchanged account, against uri GET /api/serviceaccounts",
        "token": "hoop_token (client_secret_post), against uri POST to the token endpoint",
    }
    data["per_task"] = {}
    for key, raw in micro.items():
        figures = summarise_micro(raw, baseline, args.tasks)
        micro_section(titles[key], figures, lines, targets, key)
        request_targets(key, figures, args.tasks, targets)
        data["per_task"][key] = figures
    if job is not None:
        data["job"] = job_section(job, args.accounts, lines, targets)
        data["job"]["runs"] = job
    if alone:
        data["module_alone"] = alone_section(alone, lines)
    if targets:
        lines.append("### Targets")
        lines.append("")
        lines.append("| target | value | result |")
        lines.append("| --- | --- | --- |")
        for target in targets:
            lines.append(
                "| %s | %s | %s |" % (target["target"], target["value"], verdict(target["ok"]))
            )
        lines.append("")
    return "\n".join(lines), data


def write_results(markdown, data, stamp):
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in (stamp, "latest"):
        (RESULTS / (name + ".md")).write_text(markdown + "\n")
        (RESULTS / (name + ".json")).write_text(json.dumps(data, indent=2, default=str) + "\n")


# -- main ------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 repetitions, 10 tasks, 10 accounts: a smoke run, figures are rough",
    )
    parser.add_argument("--tasks", type=int, default=50, help="tasks per per-task run")
    parser.add_argument("--accounts", type=int, default=50, help="accounts in the job")
    parser.add_argument(
        "--only",
        default="sa,token,role,memory",
        help="comma-separated parts to run: sa, token, role, memory (default: all)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.tasks, args.accounts = 3, 10, 10
    if args.repeat < 1 or args.tasks < 1 or args.accounts < 1:
        parser.error("--repeat, --tasks and --accounts must be at least 1")
    args.only = {part.strip() for part in args.only.split(",") if part.strip()}
    unknown = args.only - {"sa", "token", "role", "memory"}
    if unknown:
        parser.error("unknown part(s) in --only: %s" % ", ".join(sorted(unknown)))
    return args


def main(argv=None):
    args = parse_args(argv)
    if not (COLLECTIONS / "ansible_collections" / "hoop" / "gateway").exists():
        devenv = [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts" / "devenv")]
        subprocess.run(devenv, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    info = machine()
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = started.replace(":", "").replace("-", "")
    progress(
        "%s, %s cores, Python %s, ansible-core %s"
        % (info["cpu"], info["cores"], info["python"], info["ansible_core"])
    )
    began = time.monotonic()
    state_dir = Path(tempfile.mkdtemp(prefix="hoop-bench-"))
    micro, job, alone, baseline = {}, None, {}, []
    try:
        clients_file = write_clients_file(state_dir / "clients.json", args.accounts)
        with Stack(state_dir=state_dir / "stack", clients_file=clients_file) as stack:
            progress("stack up in %.1f s" % stack.startup_seconds)
            workdir = state_dir / "work"
            workdir.mkdir()
            bench = Bench(args, stack, workdir)
            parts = [
                ("sa", "serviceaccount.yml", "serviceaccount_uri.yml", "hoop_serviceaccount"),
                ("token", "token.yml", "token_uri.yml", "hoop_token"),
            ]
            for key, template, uri_template, module in parts:
                if key not in args.only:
                    continue
                if not module_available(
                    "ansible_collections.hoop.gateway.plugins.modules." + module
                ):
                    progress("skipping %s: plugins/modules/%s.py is missing" % (key, module))
                    continue
                bench.prepare_existing_account()
                micro[key] = bench.micro(module, template, uri_template, baseline)
            if "role" in args.only:
                if role_available():
                    job = bench.job()
                else:
                    progress("skipping the role: roles/service_account is missing")
            if "memory" in args.only:
                bench.prepare_existing_account()
                alone = bench.module_alone()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    duration = time.monotonic() - began
    info["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    markdown, data = report(args, info, started, duration, baseline, micro, job, alone)
    write_results(markdown, data, stamp)
    print(markdown)
    print("Written: %s and %s" % (RESULTS / (stamp + ".md"), RESULTS / "latest.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
