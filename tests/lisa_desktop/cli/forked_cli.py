"""`python -m lisa_desktop ARGV` as a real process of its own, forked from a server process that has already
imported the CLI and read AWS's service models: each run is still a separate process that can die at a journal
point, but it does not pay the interpreter start, the imports and the models' parsing again.

The forked process runs `lisa_desktop.__main__.main()` with the given argv and environment, stdin on /dev/null and
its stdout and stderr captured, as `subprocess.run([sys.executable, "-m", "lisa_desktop", ...])` would.

A background job it starts (`subprocess.Popen([sys.executable, "-m", "lisa_desktop", ...])`, in a new session,
stdout and stderr piped) is forked by the server too: the run asks for it on the server's socket, handing over the
write ends of its pipes, and gets back a Popen-like object reading their other ends. The job process is then a child
of the server, not of the run; it ends on its own, as a detached job does. Any other Popen is the real one.

The server (`python -m tests.lisa_desktop.cli.forked_cli`) is single-threaded, so forking it is safe: it reads one
JSON request a line on stdin, forks, and answers with the child's pid and, once reaped, its exit code.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

PRELOAD = ("lisa_desktop.__main__", "lisa_desktop.cli", "boto3", "botocore.session", "requests")
"""Imported once by the server, before it forks the first run."""
SERVICE_MODELS = (
    *("ssm", "secretsmanager", "dynamodb", "ecs", "autoscaling", "cloudformation", "ec2", "sts", "lambda", "ecr"),
    *("service-quotas", "logs", "stepfunctions", "s3", "elbv2"),
)
"""Read once by the server into the process's shared botocore loader (`engine.aws.sessions`), as a long-running
process would have them."""


class _Client:
    """The test side: one server per test process, started on first use, stopped at exit."""

    def __init__(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.lisa_desktop.cli.forked_cli"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[3],
        )
        self.lock = threading.Lock()
        self.next_id = 0
        self.started: dict[int, Future[int]] = {}
        self.ended: dict[int, Future[int]] = {}
        threading.Thread(target=self._read, name="forked-cli-replies", daemon=True).start()
        atexit.register(self.close)

    def _read(self) -> None:
        assert self.server.stdout is not None
        for line in self.server.stdout:
            reply = json.loads(line)
            with self.lock:
                if "pid" in reply:
                    self.started[reply["id"]].set_result(reply["pid"])
                else:
                    self.ended.pop(reply["id"]).set_result(reply["exit"])
        with self.lock:  # the server is gone: nothing more will end
            for future in [*self.started.values(), *self.ended.values()]:
                if not future.done():
                    future.set_exception(RuntimeError("the forked-CLI server exited"))

    def run(self, argv: list[str], env: dict[str, str], stdout: Path, stderr: Path, timeout: float) -> int:
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            started, ended = self.started[ident], self.ended[ident] = Future(), Future()
            assert self.server.stdin is not None
            request = {"id": ident, "argv": argv, "env": env, "stdout": str(stdout), "stderr": str(stderr)}
            self.server.stdin.write(json.dumps(request) + "\n")
            self.server.stdin.flush()
        pid = started.result(timeout=60)
        with self.lock:
            del self.started[ident]
        try:
            return ended.result(timeout=timeout)
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            ended.result(timeout=60)
            raise

    def close(self) -> None:
        if self.server.poll() is None:
            assert self.server.stdin is not None
            self.server.stdin.close()
            self.server.wait(timeout=30)


_client: _Client | None = None
_client_lock = threading.Lock()


def run_lisa_desktop(argv: list[str], env: dict[str, str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run `lisa-desktop ARGV` in a forked process with `env` as its whole environment; its exit code and output."""
    global _client
    with _client_lock:
        if _client is None or _client.server.poll() is not None:
            _client = _Client()
        client = _client
    with tempfile.TemporaryDirectory(prefix="forked-cli-") as folder:
        stdout, stderr = Path(folder, "stdout"), Path(folder, "stderr")
        try:
            code = client.run(argv, env, stdout, stderr, timeout)
        except TimeoutError:
            raise subprocess.TimeoutExpired(["lisa-desktop", *argv], timeout, stdout.read_text()) from None
        return subprocess.CompletedProcess(["lisa-desktop", *argv], code, stdout.read_text(), stderr.read_text())


def _child(request: dict[str, Any], stdout_fd: int | None = None, stderr_fd: int | None = None) -> None:
    """In the forked process: the environment, argv and standard streams of `python -m lisa_desktop ARGV`, then
    `main()`. Its SystemExit leaves through the server's frames, which do not catch it: the process ends as
    `python -m lisa_desktop` would (atexit handlers, non-daemon threads waited for, streams flushed). Its streams
    are the files the request names, or the given descriptors (a background job's pipes)."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    if "cwd" in request:
        os.chdir(request["cwd"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    if stdout_fd is None:
        stdout_fd = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if stderr_fd is None:
        stderr_fd = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    os.close(stdout_fd)
    os.close(stderr_fd)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own standard streams, kept to its end
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    sys.argv = [sys.executable, *request["argv"]]
    subprocess.Popen = _popen  # type: ignore[assignment, misc]
    from lisa_desktop.__main__ import main

    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        import traceback

        traceback.print_exc()
        raise SystemExit(1) from None
    raise SystemExit(0)


_RealPopen = subprocess.Popen
_server_socket = ""
"""The path of the server's socket for background jobs (set in the server, inherited by its forks)."""
_DETACHED = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}


class _ForkedJob:
    """What `subprocess.Popen` gives for a background job forked by the server: its pid, its two pipes, wait()."""

    def __init__(self, argv: list[str]) -> None:
        self.args = argv
        self.returncode: int | None = None
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.connect(_server_socket)
        request = {"argv": argv[3:], "env": dict(os.environ), "cwd": os.getcwd()}
        socket.send_fds(self._server, [json.dumps(request).encode() + b"\n"], [out_w, err_w])
        os.close(out_w)
        os.close(err_w)
        self._replies = self._server.makefile("r")
        self.pid: int = json.loads(self._replies.readline())["pid"]
        self.stdin: IO[str] | None = None
        self.stdout: IO[str] | None = open(out_r)  # noqa: SIM115 - closed with the job, as Popen's pipes
        self.stderr: IO[str] | None = open(err_r)  # noqa: SIM115

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._server.settimeout(timeout)
            line = self._replies.readline()
            self.returncode = json.loads(line)["exit"] if line else -signal.SIGKILL
        return self.returncode


def _popen(args: Any, **kwargs: Any) -> Any:
    """`subprocess.Popen` in a forked run: a detached `python -m lisa_desktop` job is forked by the server."""
    session = kwargs.pop("start_new_session", False)
    is_job = (
        session
        and isinstance(args, list)
        and args[:3] == [sys.executable, "-m", "lisa_desktop"]
        and kwargs == _DETACHED
        and _server_socket
    )
    if is_job:
        return _ForkedJob(args)
    return _RealPopen(args, start_new_session=session, **kwargs)


def _fork_job(connection: socket.socket, close: list[int]) -> int:
    """Fork the background job a run asked for on `connection`: a new session, its streams the pipes handed over."""
    message, fds, _flags, _address = socket.recv_fds(connection, 1 << 20, 2)
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        signal.set_wakeup_fd(-1)
        for fd in close:
            os.close(fd)
        connection.close()
        os.setsid()
        _child(request, *fds)
    for fd in fds:
        os.close(fd)
    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    return pid


def _serve() -> None:
    global _server_socket
    for module in PRELOAD:
        __import__(module)
    from engine.aws.sessions import new_session

    warm = new_session(region_name="us-east-1", aws_access_key_id="warm-up", aws_secret_access_key="warm-up")
    for service in SERVICE_MODELS:
        warm.client(service, endpoint_url="http://127.0.0.1:9")  # type: ignore[call-overload]
    # A child's end wakes the loop (no polling): SIGCHLD writes to a pipe the loop selects on.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda _signal, _frame: None)
    folder = tempfile.mkdtemp(prefix="forked-cli-server-")
    _server_socket = os.path.join(folder, "jobs.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(_server_socket)
    listener.listen()
    children: dict[int, int] = {}  # pid -> request id
    jobs: dict[int, socket.socket] = {}  # pid of a background job -> the connection of the run that started it
    requests, replies = sys.stdin.fileno(), sys.stdout
    pending = b""
    reading = True
    while reading or children:
        watched = [wake_r, listener.fileno(), *([requests] if reading else [])]
        readable = select.select(watched, [], [], 5.0)[0]
        if wake_r in readable:
            os.read(wake_r, 4096)
        if listener.fileno() in readable:
            connection, _address = listener.accept()
            own = [wake_r, wake_w, listener.fileno(), *(c.fileno() for c in jobs.values())]
            jobs[_fork_job(connection, own)] = connection
        if requests in readable:
            chunk = os.read(requests, 65536)
            reading = bool(chunk)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    os.close(wake_r)
                    os.close(wake_w)
                    listener.close()
                    for connection in jobs.values():
                        connection.close()
                    _child(request)
                children[pid] = request["id"]
                replies.write(json.dumps({"id": request["id"], "pid": pid}) + "\n")
                replies.flush()
        while children or jobs:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            ident = children.pop(pid, None)
            if ident is not None:
                replies.write(json.dumps({"id": ident, "exit": os.waitstatus_to_exitcode(status)}) + "\n")
                replies.flush()
            job = jobs.pop(pid, None)
            if job is not None:
                with contextlib.suppress(OSError):  # the run that started it may have ended: nobody waits then
                    job.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                job.close()
    listener.close()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    _serve()
