"""The by-hand flow with curl (tests/stack/seed-flow.sh) against a fresh stack, twice."""

import os
import re
import subprocess
from pathlib import Path

import requests

from hoopstack.launcher import Stack

SCRIPT = Path(__file__).resolve().parents[1] / "stack" / "seed-flow.sh"


def test_seed_flow_with_curl_against_a_fresh_stack(tmp_path):
    with Stack(state_dir=tmp_path / "stack") as stack:
        demo = stack.clients["demo"]
        env = dict(
            os.environ,
            HOOP_APIURL=stack.gateway_url + "/",
            HOOP_APIKEY=stack.api_key,
            HOOP_TOKEN_URL=stack.token_url,
            HOOP_CLIENT_ID=demo["client_id"],
            HOOP_CLIENT_SECRET=demo["client_secret"],
            HOOP_SCOPE="openid",
        )
        runs = [
            subprocess.run(
                ["bash", str(SCRIPT)],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            for _attempt in range(2)
        ]
        stored = requests.get(
            stack.gateway_url + "/api/serviceaccounts",
            headers={"Api-Key": stack.api_key},
            timeout=10,
        ).json()

    first, second = runs
    for proc in runs:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert re.search(r"^5\. GET /api/userinfo after revocation +HTTP 401$", proc.stdout, re.M)
        for secret in (demo["client_secret"], stack.api_key):
            assert secret not in proc.stdout + proc.stderr
    # The second run meets the account registered (and revoked) by the first one.
    assert "already registered" not in first.stdout
    assert re.search(r"^2\. POST /api/serviceaccounts \(Api-Key\) +HTTP 409$", second.stdout, re.M)
    assert [(a["subject"], a["status"]) for a in stored] == [(demo["expected_sub"], "inactive")]
