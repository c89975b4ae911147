"""The gateway's command line: refusals are one clear line, never a traceback."""

import json
import os
import subprocess
import sys

import pytest

from hoopstack.gateway_proc import STACK_DIR


def _run(*args, cwd):
    env = dict(os.environ, PYTHONPATH=STACK_DIR)
    return subprocess.run(
        [sys.executable, "-m", "hoopstack.gateway", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "rc", "says"),
    [
        (["--host", "0.0.0.0"], 2, "--host must be a loopback address"),
        (["--tls-cert", "cert.pem"], 2, "--tls-cert and --tls-key go together"),
        (["--introspection-client-id", "x"], 2, "go together"),
        (["--org-id", "not-a-uuid"], 2, "--org-id must be a UUID"),
        (["--tls-cert", "missing.pem", "--tls-key", "missing.pem"], 1, "cannot start"),
        (["--release", "2023"], 2, "invalid choice"),
    ],
)
def test_bad_arguments_are_refused_clearly(tmp_path, args, rc, says):
    result = _run("--db", str(tmp_path / "g.sqlite"), *args, cwd=tmp_path)
    assert result.returncode == rc
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_ready_file_names_the_listening_url(tmp_path):
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hoopstack.gateway",
            "--db",
            str(tmp_path / "g.sqlite"),
            "--ready-file",
            str(ready),
            "--api-key",
            "xapi-cli",
        ],
        env=dict(os.environ, PYTHONPATH=STACK_DIR),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        announced = json.loads(proc.stdout.readline())
        written = json.loads(ready.read_text())
        assert written == announced
        assert written["url"] == "http://127.0.0.1:%d" % written["port"]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    assert not ready.exists()
