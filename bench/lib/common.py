"""Shared helpers for bench/run: paths, progress lines, errors, running commands that print JSON."""

import json
import os
import shlex
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH_DIR)
KAFKA_CLUSTERS = os.path.join(REPO, "scripts", "kafka-clusters")
CONFIGS_DIR = os.path.join(BENCH_DIR, "configs")


class BenchError(Exception):
    """A step failed; the message says which and why."""


class Interrupted(BaseException):
    """SIGTERM (or SIGINT) arrived; unwinds like KeyboardInterrupt so every finally runs."""


def build_dir():
    return os.environ.get("DR_BENCH_BUILD", os.path.join(REPO, "build"))


def tool(name):
    """Path of a built binary: dr-mirror & co in build/tools, the bench client in build/bench."""
    sub = "bench" if name == "dr-bench-client" else "tools"
    path = os.path.join(build_dir(), sub, name)
    if not os.access(path, os.X_OK):
        raise BenchError(f"{path} is missing; build first: cmake -S . -B build -G Ninja "
                         f"-DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build")
    return path


_t_start = time.monotonic()


def progress(scope, message):
    """One progress line on stderr, e.g. '[mirror] run 2/3: MirrorMaker 2 ...'."""
    elapsed = time.monotonic() - _t_start
    sys.stderr.write(f"{elapsed:7.1f}s [{scope}] {message}\n")
    sys.stderr.flush()


def quote(cmd):
    return " ".join(shlex.quote(str(c)) for c in cmd)


def tail(text, lines=25):
    rows = (text or "").rstrip().splitlines()
    return "\n".join(rows[-lines:])


def run(cmd, timeout, env=None, what=None, check=True, log=None):
    """Runs a command to completion; returns CompletedProcess (text). Raises BenchError on failure
    or timeout, with the tail of its stderr. The child gets its own session so a Ctrl-C reaches
    only us; we stop it ourselves."""
    what = what or os.path.basename(str(cmd[0]))
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        if log:
            _append(log, cmd, out, err)
        raise BenchError(f"{what} did not finish within {timeout:.0f} s: {quote(cmd)}\n{tail(err)}")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if log:
        _append(log, cmd, out, err)
    if check and proc.returncode != 0:
        raise BenchError(f"{what} failed (exit {proc.returncode}): {quote(cmd)}\n{tail(err)}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _append(log, cmd, out, err):
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"$ {quote(cmd)}\n")
        if out:
            f.write(out if out.endswith("\n") else out + "\n")
        if err:
            f.write(err if err.endswith("\n") else err + "\n")


def run_json(cmd, timeout, env=None, what=None, log=None):
    """Runs a command that prints exactly one JSON object on stdout; returns it as a dict."""
    cp = run(cmd, timeout, env=env, what=what, log=log)
    try:
        return json.loads(cp.stdout)
    except ValueError as e:
        raise BenchError(f"{what or cmd[0]} printed no JSON ({e}): {quote(cmd)}\nstdout: {tail(cp.stdout)}")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
