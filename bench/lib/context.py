"""What every scenario needs: the clusters, the clients, the options and where files go."""

import json
import os
import sqlite3
import time

from .common import BenchError, read_json
from .kafka import BenchClient, KafkaTools
from .mirrors import ProducerSettings
from .proctree import ManagedProcess


class Context:
    def __init__(self, opts, out_dir, clusters):
        self.opts = opts
        self.out = out_dir
        self.logs = os.path.join(out_dir, "logs")
        self.work = os.path.join(out_dir, "work")
        os.makedirs(self.logs, exist_ok=True)
        os.makedirs(self.work, exist_ok=True)
        self.commands_log = os.path.join(self.logs, "commands.log")
        self.clusters = clusters
        self.client = BenchClient(self.commands_log)
        self.kafka = KafkaTools(self.commands_log)
        self.producer = ProducerSettings(opts.compression, opts.batch_size, opts.linger_ms)

    @property
    def source(self):
        return self.clusters.bootstrap["source"]

    @property
    def target(self):
        return self.clusters.bootstrap["target"]

    def log_path(self, name):
        return os.path.join(self.logs, name + ".log")

    def work_path(self, name):
        return os.path.join(self.work, name)

    def run_client_measured(self, name, args, timeout):
        """Runs a dr-bench-client command as a measured process; returns (its JSON, wall s, tree measurements)."""
        out_path = self.work_path(name + ".json")
        t0 = time.monotonic()
        p = ManagedProcess(self.client.cmd(*args), self.log_path(name), name=f"dr-bench-client {args[0]}",
                           stdout_path=out_path)
        try:
            deadline = t0 + timeout
            while not p.exited():
                if time.monotonic() > deadline:
                    raise BenchError(f"dr-bench-client {args[0]} did not finish within {timeout:.0f} s")
                time.sleep(0.05)
            wall = time.monotonic() - t0
            m = p.measure()
        finally:
            rc, _ = p.stop(grace_s=5)
        if rc != 0:
            raise BenchError(f"dr-bench-client {args[0]} failed (exit {rc}); see {p.log_path}:\n{p.log_tail()}")
        try:
            result = read_json(out_path)
        except (OSError, ValueError) as e:
            raise BenchError(f"dr-bench-client {args[0]} printed no JSON ({e}); see {out_path}")
        return result, wall, m


def checkpointed_groups(state_path, prefix):
    """Distinct consumer groups with a checkpoint in a dr-mirror state file (read-only, while it runs)."""
    if not os.path.exists(state_path):
        return 0
    try:
        db = sqlite3.connect(f"file:{state_path}?mode=ro", uri=True, timeout=5)
        try:
            row = db.execute("select count(distinct group_id) from group_checkpoints where group_id like ?",
                             (prefix + "%",)).fetchone()
            return row[0] if row else 0
        finally:
            db.close()
    except sqlite3.Error:
        return 0  # not created or migrated yet


def translate_to_candidate(rows, target_topic):
    """dr-translate-offsets --format json rows -> {"groups": {G: {"P": offset}}} for the accuracy referee."""
    groups = {}
    for r in rows:
        if r.get("topic") != target_topic:
            continue
        groups.setdefault(r["group"], {})[str(r["partition"])] = int(r["offset"])
    return {"groups": groups}


def dump(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    return path
