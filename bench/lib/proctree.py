"""Processes the benchmark starts, and what they cost.

TreeSampler walks /proc every ~100 ms and follows the whole process tree under one pid:
  - CPU: for every process ever seen in the tree (keyed by pid and start time, so a recycled pid
    is a new process), the last seen utime+stime from /proc/PID/stat; the sum over all of them,
    including processes that have exited since, is the tree's CPU time. Threads are included
    (the process line of /proc/PID/stat adds up its threads, live and exited). What a process
    used after its last sample is missed (at most one interval).
  - memory: the peak over samples of the sum of VmRSS over the live tree, and the sum over
    processes of their VmHWM (each process' own peak resident size, as the kernel keeps it).
ManagedProcess starts a long-running command (a mirror) in its own session with its output in a
log file, samples its tree, and stops it: SIGTERM to its process group, SIGKILL after a grace
period. Every ManagedProcess is registered so that stop_all() can end whatever is left when the
benchmark fails or is interrupted.
"""

import os
import shutil
import signal
import subprocess
import threading
import time

from .common import BenchError, quote, tail

CLK_TCK = os.sysconf("SC_CLK_TCK")
_SETPRIV = shutil.which("setpriv")


def _read_stat(pid):
    """(ppid, utime+stime ticks, starttime) of a pid, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces or ')': split after the last ')'.
    rest = data[data.rfind(b")") + 2:].split()
    # rest[0] is field 3 (state); field N is rest[N - 3].
    try:
        return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[19])
    except (IndexError, ValueError):
        return None


def _read_mem_kb(pid):
    """(VmRSS, VmHWM) in kB; zeros for a process without memory (zombie) or gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


class TreeSampler:
    def __init__(self, root_pid, interval=0.1):
        self.root = root_pid
        self.interval = interval
        self._lock = threading.Lock()
        self._ticks = {}      # (pid, starttime) -> last seen utime+stime
        self._hwm = {}        # (pid, starttime) -> max VmHWM seen (kB)
        self._rss_peak = 0    # kB
        self._samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sampler-{root_pid}", daemon=True)

    def start(self):
        self.sample()
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self):
        children = {}
        stats = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            st = _read_stat(name)
            if st is None:
                continue
            pid = int(name)
            stats[pid] = st
            children.setdefault(st[0], []).append(pid)
        if self.root not in stats:
            return
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        rss_sum = 0
        with self._lock:
            for pid in tree:
                _, ticks, started = stats[pid]
                key = (pid, started)
                self._ticks[key] = max(ticks, self._ticks.get(key, 0))
                rss, hwm = _read_mem_kb(pid)
                rss_sum += rss
                self._hwm[key] = max(hwm, self._hwm.get(key, 0))
            self._rss_peak = max(self._rss_peak, rss_sum)
            self._samples += 1

    def snapshot(self):
        """Takes one more sample and returns the totals so far."""
        self.sample()
        with self._lock:
            return {
                "cpu_s": sum(self._ticks.values()) / CLK_TCK,
                "rss_peak_mb": self._rss_peak / 1024.0,
                "hwm_mb": sum(self._hwm.values()) / 1024.0,
                "processes": len(self._ticks),
                "samples": self._samples,
            }

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


_live = []
_live_lock = threading.Lock()


class ManagedProcess:
    """A long-running command with its output in a log file, measured by a TreeSampler."""

    def __init__(self, cmd, log_path, env=None, name=None, sample=True, cwd=None, stdout_path=None):
        self.cmd = [str(c) for c in cmd]
        self.name = name or os.path.basename(self.cmd[0])
        self.log_path = log_path
        argv = self.cmd
        if _SETPRIV:
            # If this python dies without cleaning up (SIGKILL), the kernel kills the child too.
            argv = [_SETPRIV, "--pdeathsig", "KILL", "--"] + argv
        self.stdout_path = stdout_path
        self._log = open(log_path, "ab")
        self._log.write(f"$ {quote(self.cmd)}\n".encode())
        self._log.flush()
        out = open(stdout_path, "wb") if stdout_path else None
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out or self._log,
                                         stderr=self._log if out else subprocess.STDOUT,
                                         env=env, cwd=cwd, start_new_session=True)
        finally:
            if out:
                out.close()
        self.pid = self.proc.pid
        with _live_lock:
            _live.append(self)
        self.sampler = TreeSampler(self.pid).start() if sample else None

    def poll(self):
        return self.proc.poll()

    def exited(self):
        """True once the process has exited, without reaping it: its /proc entry (and CPU times) stay
        readable for a last sample until poll(), wait() or stop() reaps it."""
        if self.proc.returncode is not None:
            return True
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        except ChildProcessError:
            return True
        return info is not None

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return tail(f.read(), lines)
        except OSError:
            return ""

    def check_alive(self):
        """Raises BenchError if the process has exited."""
        rc = self.proc.poll()
        if rc is not None:
            raise BenchError(f"{self.name} exited early with status {rc}; last lines of {self.log_path}:\n"
                             f"{self.log_tail()}")

    def measure(self):
        return self.sampler.snapshot() if self.sampler else {}

    def _signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, grace_s=30.0):
        """SIGTERM to the process group, SIGKILL after grace_s; returns (exit status, seconds to stop)."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait()
        # Whatever the leader left behind in its group goes too.
        self._signal_group(signal.SIGKILL)
        if self.sampler:
            self.sampler.stop()
        self._log.close()
        with _live_lock:
            if self in _live:
                _live.remove(self)
        return self.proc.returncode, time.monotonic() - t0


def stop_all(grace_s=10.0):
    """Stops every ManagedProcess still running (used on failure and interruption)."""
    with _live_lock:
        left = list(_live)
    for p in left:
        try:
            p.stop(grace_s=grace_s)
        except Exception:  # keep stopping the others
            pass
