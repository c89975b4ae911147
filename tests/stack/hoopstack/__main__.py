"""Command line of the local stack.

    python tests/stack/hoopstack up     [--state-dir D] [--tls]   foreground, Ctrl-C stops
    python tests/stack/hoopstack start  --state-dir D [--tls]     background
    python tests/stack/hoopstack stop   --state-dir D
    python tests/stack/hoopstack env    --state-dir D             shell export lines
    python tests/stack/hoopstack install                          npm ci when needed

This is a local demo stack: the credentials it prints are generated for this run only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STOP_TIMEOUT = 15.0
START_TIMEOUT = 60.0


def _import_launcher():
    # Run as `python tests/stack/hoopstack`, the package's parent is not on sys.path yet.
    stack_dir = str(Path(__file__).resolve().parent.parent)
    if stack_dir not in sys.path:
        sys.path.insert(0, stack_dir)
    from hoopstack import launcher

    return launcher


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hoopstack", description="Local authorization server and Hoop gateway for tests."
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{up,start,stop,env,install}"
    )

    def add(name: str, help_text: str | None, state_dir_required: bool, starts: bool):
        # Without help the command stays out of the listing: serve is internal to start.
        sub = commands.add_parser(name, **({"help": help_text} if help_text else {}))
        sub.add_argument(
            "--state-dir",
            required=state_dir_required,
            help="directory for keys, logs, the gateway database and stack.json",
        )
        if starts:
            sub.add_argument("--tls", action="store_true", help="serve HTTPS with a private CA")
            sub.add_argument("--clients", help="clients file (default: tests/stack/clients.json)")
            sub.add_argument("--auth-port", type=int, default=0)
            sub.add_argument("--gateway-port", type=int, default=0)
            sub.add_argument(
                "--gateway-arg",
                action="append",
                default=[],
                help="extra argument for the gateway, e.g. --gateway-arg=--release=legacy",
            )
        return sub

    add("up", "run in the foreground until Ctrl-C", False, True)
    add("start", "start in the background", True, True)
    add("stop", "stop a stack started with start", True, False)
    add("env", "print shell export lines for a running stack", True, False)
    commands.add_parser("install", help="npm ci for the authorization server when needed")
    serve = add("serve", None, True, True)
    serve.add_argument("--quiet", action="store_true")
    return parser


def _make_stack(launcher, args, state_dir: str):
    kwargs = {
        "state_dir": state_dir,
        "tls": args.tls,
        "auth_port": args.auth_port,
        "gateway_port": args.gateway_port,
        "gateway_args": args.gateway_arg,
    }
    if args.clients:
        kwargs["clients_file"] = args.clients
    return launcher.Stack(**kwargs)


def _summary(state: dict) -> str:
    demo = state["clients"]["demo"]
    lines = [
        f"gateway      {state['gateway_url']}",
        f"issuer       {state['issuer']}",
        f"token url    {state['token_url']}",
        f"api key      {state['api_key']}",
        f"demo client  id={demo['client_id']} secret={demo['client_secret']}",
    ]
    if state.get("ca_path"):
        lines.append(f"ca bundle    {state['ca_path']}")
    lines.append(f"state dir    {state['state_dir']}  (stack.json has every client)")
    return "\n".join(lines)


class _Stopped(Exception):
    pass


def _raise_stopped(signum, frame):
    raise _Stopped


def _serve(launcher, args, state_dir: str, quiet: bool) -> int:
    """Run the stack until SIGINT/SIGTERM or until one of its servers dies."""
    signal.signal(signal.SIGTERM, _raise_stopped)
    signal.signal(signal.SIGINT, _raise_stopped)
    stack = _make_stack(launcher, args, state_dir)
    try:
        stack.start()
        if not quiet:
            print(_summary(stack.describe()), flush=True)
            print(f"started in {stack.startup_seconds:.1f} s; Ctrl-C stops", flush=True)
        while True:
            dead = stack.dead_servers()
            if dead:
                print(f"hoopstack: {', '.join(dead)} exited; stopping", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except _Stopped:
        return 0
    except launcher.StackError as exc:
        print(f"hoopstack: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C while stopping must not leave the servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()


def _up(launcher, args) -> int:
    if args.state_dir:
        return _serve(launcher, args, args.state_dir, quiet=False)
    with tempfile.TemporaryDirectory(prefix="hoopstack-") as state_dir:
        return _serve(launcher, args, state_dir, quiet=False)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A detached launcher that has exited stays a zombie until init reaps it.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _read_pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / "stack.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _start(launcher, args) -> int:
    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o700)
    pid = _read_pid(state_dir)
    if pid is not None and _pid_alive(pid):
        print(f"hoopstack: a stack is already running in {state_dir} (pid {pid})", file=sys.stderr)
        return 1
    with contextlib.suppress(FileNotFoundError):
        (state_dir / "stack.json").unlink()

    command = [sys.executable, str(Path(__file__).resolve().parent), "serve", "--quiet"]
    command += ["--state-dir", str(state_dir), "--auth-port", str(args.auth_port)]
    command += ["--gateway-port", str(args.gateway_port)]
    command += [f"--gateway-arg={arg}" for arg in args.gateway_arg]
    if args.tls:
        command.append("--tls")
    if args.clients:
        command += ["--clients", str(Path(args.clients).resolve())]
    log_path = state_dir / "launcher.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (state_dir / "stack.pid").write_text(f"{process.pid}\n")

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if (state_dir / "stack.json").exists():
            state = launcher.load_state(state_dir)
            print(_summary(state))
            return 0
        if process.poll() is not None:
            (state_dir / "stack.pid").unlink()
            print(
                f"hoopstack: the stack failed to start; {log_path} says:\n"
                + log_path.read_text(errors="replace")[-3000:],
                file=sys.stderr,
            )
            return 1
        time.sleep(0.05)
    process.terminate()
    print(f"hoopstack: the stack did not start within {START_TIMEOUT:.0f} s", file=sys.stderr)
    return 1


def _stop(launcher, args) -> int:
    state_dir = Path(args.state_dir).resolve()
    pid = _read_pid(state_dir)
    if pid is None or not _pid_alive(pid):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / "stack.pid").unlink()
        print(f"hoopstack: no stack running in {state_dir}", file=sys.stderr)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        (state_dir / "stack.pid").unlink()
    print(f"hoopstack: stopped the stack in {state_dir}")
    return 0


def _env(launcher, args) -> int:
    try:
        state = launcher.load_state(args.state_dir)
    except launcher.StackError as exc:
        print(f"hoopstack: {exc}", file=sys.stderr)
        return 1
    demo = state["clients"]["demo"]
    variables = {
        "HOOP_APIURL": state["gateway_url"],
        "HOOP_APIKEY": state["api_key"],
        "HOOP_TOKEN_URL": state["token_url"],
        "HOOP_CLIENT_ID": demo["client_id"],
        "HOOP_CLIENT_SECRET": demo["client_secret"],
    }
    if state.get("ca_path"):
        variables["HOOP_TLSCA"] = state["ca_path"]
    for name, value in variables.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    launcher = _import_launcher()
    if args.command == "install":
        launcher.ensure_node_modules()
        return 0
    if args.command == "up":
        return _up(launcher, args)
    if args.command == "serve":
        return _serve(launcher, args, args.state_dir, quiet=args.quiet)
    if args.command == "start":
        return _start(launcher, args)
    if args.command == "stop":
        return _stop(launcher, args)
    return _env(launcher, args)


if __name__ == "__main__":
    sys.exit(main())
