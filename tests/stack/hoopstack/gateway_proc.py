"""Start and stop a local gateway process, for tests that need one of their own."""

import json
import os
import subprocess
import sys
import time

import requests

STACK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GatewayProcess:
    """``with GatewayProcess(state_dir, issuer=..., api_keys=[...]) as gw: gw.url``"""

    def __init__(
        self,
        state_dir,
        issuer=None,
        api_keys=(),
        db=None,
        release="current",
        introspection=None,
        tls=None,
        org_id=None,
        issuer_ca=None,
        ca_path=None,
    ):
        self.state_dir = state_dir
        self.issuer = issuer
        self.api_keys = list(api_keys)
        self.db = db or os.path.join(state_dir, "gateway.sqlite")
        self.release = release
        self.introspection = introspection
        self.tls = tls
        self.org_id = org_id
        self.issuer_ca = issuer_ca
        self.verify = ca_path or True
        self.ready_file = os.path.join(state_dir, "gateway.ready")
        self.url = None
        self._proc = None
        self._stderr = None

    def command(self):
        cmd = [sys.executable, "-m", "hoopstack.gateway", "--host", "127.0.0.1", "--port", "0"]
        cmd += ["--db", self.db, "--ready-file", self.ready_file, "--release", self.release]
        if self.issuer:
            cmd += ["--issuer", self.issuer]
        for key in self.api_keys:
            cmd += ["--api-key", key]
        if self.introspection:
            cmd += ["--introspection-client-id", self.introspection[0]]
            cmd += ["--introspection-client-secret", self.introspection[1]]
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if self.org_id:
            cmd += ["--org-id", self.org_id]
        if self.issuer_ca:
            cmd += ["--issuer-ca", self.issuer_ca]
        return cmd

    def start(self, timeout=15):
        os.makedirs(self.state_dir, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [STACK_DIR, env.get("PYTHONPATH")]))
        self._stderr = open(os.path.join(self.state_dir, "gateway.stderr"), "ab")  # noqa: SIM115
        self._proc = subprocess.Popen(
            self.command(), env=env, stdout=subprocess.DEVNULL, stderr=self._stderr
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError("gateway exited with %s" % self._proc.returncode)
            if os.path.exists(self.ready_file):
                with open(self.ready_file) as handle:
                    ready = json.load(handle)
                self.url = ready["url"]
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("gateway not ready within %s s" % timeout)

    def stop(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def control(self, method, path, **kwargs):
        response = requests.request(
            method, self.url + "/__stack/" + path, timeout=10, verify=self.verify, **kwargs
        )
        response.raise_for_status()
        return response.json()
