"""Real Kafka clusters (scripts/kafka-clusters), Kafka's own command-line classes, and the
benchmark client (build/bench/dr-bench-client)."""

import os
import time

from .common import KAFKA_CLUSTERS, BenchError, progress, run, run_json, tool

DEFAULT_KAFKA_VERSION = "3.9.2"

# What Kafka's own launch scripts give a tool's JVM (kafka-run-class.sh: KAFKA_JVM_PERFORMANCE_OPTS).
JVM_PERF_OPTS = ("-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 "
                 "-XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15")


def kafka_version():
    return os.environ.get("KAFKA_VERSION", DEFAULT_KAFKA_VERSION)


def tool_env(heap, log_level="WARN"):
    """Environment for `kafka-clusters run-class`: the heap and JVM flags Kafka's scripts use."""
    env = dict(os.environ)
    env["KAFKA_DR_TOOL_OPTS"] = f"{heap} {JVM_PERF_OPTS}"
    env["KAFKA_DR_TOOL_LOG_LEVEL"] = log_level
    return env


def run_class_cmd(java_class, *args, mm2=False):
    cmd = [KAFKA_CLUSTERS, "run-class"]
    if mm2:
        cmd.append("--with-mm2")
    return cmd + [java_class] + [str(a) for a in args]


class Clusters:
    """Single-node KRaft clusters in one directory; stop() always stops all of them."""

    def __init__(self, directory, names, heap="512m", log=None):
        self.dir = directory
        self.names = list(names)
        self.heap = heap
        self.log = log
        self.bootstrap = {}
        self.cluster_id = {}
        self.started = False

    def env(self):
        env = dict(os.environ)
        env["KAFKA_DR_HEAP"] = self.heap
        env.setdefault("KAFKA_DR_START_TIMEOUT", "120")
        return env

    def start(self):
        progress("clusters", f"starting {', '.join(self.names)} (Kafka {kafka_version()}, "
                             f"broker heap {self.heap}) in {self.dir}")
        self.started = True  # even a failed start may leave something to stop
        # Kafka keeps a deleted topic's files for 60 s; the benchmark deletes 2 GB target topics
        # between runs and wants the disk (and page cache) back at once.
        cmd = [KAFKA_CLUSTERS, "start", "--dir", self.dir, "--set", "log.segment.delete.delay.ms=1000"] + self.names
        cp = run(cmd, timeout=300, env=self.env(), what="kafka-clusters start", log=self.log)
        for line in cp.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3:
                self.bootstrap[parts[0]] = parts[1]
                self.cluster_id[parts[0]] = parts[2]
        missing = [n for n in self.names if n not in self.bootstrap]
        if missing:
            raise BenchError(f"kafka-clusters start printed no bootstrap for {missing}:\n{cp.stdout}")
        for n in self.names:
            progress("clusters", f"{n}: {self.bootstrap[n]} (cluster id {self.cluster_id[n]})")

    def stop(self, purge):
        if not self.started:
            return
        progress("clusters", "stopping the clusters" + (" and deleting their files" if purge else ""))
        cmd = [KAFKA_CLUSTERS, "stop", "--dir", self.dir] + (["--purge"] if purge else [])
        run(cmd, timeout=120, env=self.env(), what="kafka-clusters stop", check=False, log=self.log)
        self.started = False


class KafkaTools:
    """Topic administration with Kafka's own classes (one short JVM each)."""

    def __init__(self, log):
        self.log = log
        self.env = tool_env("-Xmx256m")

    def create_topic(self, bootstrap, topic, partitions):
        run(run_class_cmd("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
                          "--topic", topic, "--partitions", partitions, "--replication-factor", 1),
            timeout=120, env=self.env, what=f"create topic {topic}", log=self.log)

    def list_topics(self, bootstrap):
        cp = run(run_class_cmd("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--list"),
                 timeout=120, env=self.env, what="list topics", log=self.log)
        return [t.strip() for t in cp.stdout.splitlines() if t.strip()]

    def delete_topics(self, bootstrap, topics, timeout=120):
        """Deletes the topics (a regex alternation) and waits until they are gone."""
        topics = [t for t in topics if t]
        if not topics:
            return
        present = set(self.list_topics(bootstrap))
        doomed = [t for t in topics if t in present]
        if not doomed:
            return
        pattern = "|".join(t.replace(".", "\\.") for t in doomed)
        run(run_class_cmd("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--delete",
                          "--topic", pattern), timeout=120, env=self.env, what=f"delete topics {doomed}", log=self.log)
        deadline = time.monotonic() + timeout
        while True:
            left = set(doomed) & set(self.list_topics(bootstrap))
            if not left:
                return
            if time.monotonic() > deadline:
                raise BenchError(f"topics {sorted(left)} still exist {timeout} s after deletion")
            time.sleep(1)


class BenchClient:
    """build/bench/dr-bench-client: every command prints one JSON object."""

    def __init__(self, log):
        self.bin = tool("dr-bench-client")
        self.log = log

    def _run(self, what, args, timeout):
        return run_json([self.bin] + [str(a) for a in args], timeout=timeout, what=f"dr-bench-client {what}",
                        log=self.log)

    def cmd(self, *args):
        return [self.bin] + [str(a) for a in args]

    def fill(self, bootstrap, topic, partitions, records, size, payload, compression, create=True, timeout=3600):
        args = ["fill", "--bootstrap", bootstrap, "--topic", topic, "--partitions", partitions, "--records", records,
                "--size", size, "--payload", payload, "--compression", compression]
        return self._run("fill", args + (["--create"] if create else []), timeout)

    def consume(self, bootstrap, topic, timeout=3600):
        return self._run("consume", ["consume", "--bootstrap", bootstrap, "--topic", topic], timeout)

    def end_offsets(self, bootstrap, topic, timeout=120, attempts=10):
        """End offsets; a new topic may briefly answer NOT_LEADER, so failures are retried for a while."""
        for attempt in range(attempts):
            try:
                return self._run("end-offsets", ["end-offsets", "--bootstrap", bootstrap, "--topic", topic], timeout)
            except BenchError:
                if attempt + 1 == attempts:
                    raise
                time.sleep(0.5)

    def commit_groups(self, bootstrap, topic, groups, prefix, seed=1, timeout=600):
        return self._run("commit-groups", ["commit-groups", "--bootstrap", bootstrap, "--topic", topic,
                                           "--groups", groups, "--prefix", prefix, "--seed", seed], timeout)

    def group_offsets(self, bootstrap, prefix, topic, timeout=300):
        return self._run("group-offsets", ["group-offsets", "--bootstrap", bootstrap, "--prefix", prefix,
                                           "--topic", topic], timeout)

    def wait_equal_cmd(self, source, target, topic, target_topic=None, timeout_s=600):
        args = ["wait-equal", "--source", source, "--target", target, "--topic", topic, "--timeout-s", int(timeout_s)]
        if target_topic:
            args += ["--target-topic", target_topic]
        return self.cmd(*args)

    def wait_equal(self, source, target, topic, target_topic=None, timeout_s=600):
        return run_json(self.wait_equal_cmd(source, target, topic, target_topic, timeout_s), timeout=timeout_s + 60,
                        what="dr-bench-client wait-equal", log=self.log)

    def accuracy(self, target, topic, partitions, committed_file, candidates, timeout=900):
        args = ["accuracy", "--target", target, "--topic", topic, "--partitions", partitions,
                "--committed", committed_file]
        for name, path in candidates.items():
            args += ["--candidate", f"{name}={path}"]
        return self._run("accuracy", args, timeout)
