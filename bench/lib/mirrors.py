"""The three mirrors under test, each started the way its users start it, with the same
producer settings (bench/configs/*): dr-mirror, MirrorMaker 2 (dedicated mode) and MirrorMaker 1."""

import os
import re

from .common import CONFIGS_DIR, BenchError, tool
from .kafka import run_class_cmd, tool_env

# Heaps as Kafka's own launch scripts set them: connect-mirror-maker.sh (-Xms256M -Xmx2G) and
# kafka-run-class.sh, which kafka-mirror-maker.sh uses (-Xmx256M).
MM2_HEAP = "-Xms256m -Xmx2g"
MM1_HEAP = "-Xmx256m"

_PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")


def render(template_name, values, dest):
    """Copies bench/configs/TEMPLATE to dest with every ${name} replaced; an unknown name is an error."""
    with open(os.path.join(CONFIGS_DIR, template_name), encoding="utf-8") as f:
        text = f.read()

    def sub(m):
        if m.group(1) not in values:
            raise BenchError(f"{template_name}: no value for ${{{m.group(1)}}}")
        return str(values[m.group(1)])

    with open(dest, "w", encoding="utf-8") as f:
        f.write(_PLACEHOLDER.sub(sub, text))
    return dest


class ProducerSettings:
    """What every mirror's producer into the target gets."""

    def __init__(self, compression="lz4", batch_size=262144, linger_ms=5):
        self.compression = compression
        self.batch_size = batch_size
        self.linger_ms = linger_ms

    def values(self):
        return {"compression": self.compression, "batch_size": self.batch_size, "linger_ms": self.linger_ms}

    def describe(self):
        return (f"acks=all, idempotent, max.in.flight 5, compression {self.compression}, "
                f"batch.size {self.batch_size}, linger.ms {self.linger_ms}")


class MirrorRun:
    """One launch of one mirror: its command, environment and files."""

    def __init__(self, cmd, env, files, state=None):
        self.cmd = cmd
        self.env = env
        self.files = files
        self.state = state


class DrMirror:
    key = "dr-mirror"
    label = "dr-mirror"
    preserves_partitions = True
    needs_target_topic = False

    def __init__(self, streams=1):
        self.streams = streams

    def prepare(self, workdir, run_id, source, target, topics_regex, producer, groups=None,
                checkpoint_interval_ms=None, rename=None):
        values = {"source_bootstrap": source, "target_bootstrap": target, "group_id": f"dr-mirror-{run_id}",
                  "client_id": f"dr-mirror-{run_id}", **producer.values()}
        src = render("source.properties", values, os.path.join(workdir, f"{run_id}-source.properties"))
        tgt = render("target.properties", values, os.path.join(workdir, f"{run_id}-target.properties"))
        state = os.path.join(workdir, f"{run_id}.db")
        cmd = [tool("dr-mirror"), "--consumer.config", src, "--producer.config", tgt, "--whitelist", topics_regex,
               "--num.streams", self.streams, "--state", state, "--source-alias", "source", "--target-alias", "target"]
        if groups:
            cmd += ["--groups", groups]
        if checkpoint_interval_ms:
            cmd += ["--checkpoint-interval-ms", checkpoint_interval_ms]
        if rename:
            cmd += ["--rename", rename]
        return MirrorRun(cmd, dict(os.environ), [src, tgt], state=state)


class MirrorMaker2:
    key = "mm2"
    label = "MirrorMaker 2"
    preserves_partitions = True
    needs_target_topic = False

    def __init__(self, tasks_max=12):
        self.tasks_max = tasks_max

    def prepare(self, workdir, run_id, source, target, topics_regex, producer, groups=".*", sync_group_offsets=True,
                fast=False):
        """fast: short intervals for offset syncs, checkpoints and group offset sync (accuracy runs);
        otherwise MirrorMaker 2's defaults."""
        alias = re.sub(r"[^A-Za-z0-9]", "", run_id)
        values = {
            "src": f"src{alias}", "tgt": f"tgt{alias}",
            "source_bootstrap": source, "target_bootstrap": target, "topics": topics_regex,
            "tasks_max": self.tasks_max, "groups": groups,
            "sync_group_offsets": "true" if sync_group_offsets else "false",
            "offset_lag_max": 100,
            "offset_flush_interval_ms": 1000 if fast else 60000,
            "emit_checkpoints_interval_s": 1 if fast else 60,
            "sync_group_offsets_interval_s": 1 if fast else 60,
            "refresh_groups_interval_s": 2 if fast else 600,
            "refresh_topics_interval_s": 5 if fast else 600,
            **producer.values(),
        }
        props = render("mm2.properties", values, os.path.join(workdir, f"{run_id}-mm2.properties"))
        cmd = run_class_cmd("org.apache.kafka.connect.mirror.MirrorMaker", props, mm2=True)
        return MirrorRun(cmd, tool_env(MM2_HEAP), [props])


class MirrorMaker1:
    key = "mm1"
    label = "MirrorMaker 1"
    # Its default message handler leaves the partition to the producer's partitioner (key hash),
    # so records do not keep their partition: only the totals can be compared.
    preserves_partitions = False
    needs_target_topic = True

    def __init__(self, streams=1):
        self.streams = streams

    def prepare(self, workdir, run_id, source, target, topics_regex, producer, **_):
        values = {"source_bootstrap": source, "target_bootstrap": target, "group_id": f"mm1-{run_id}",
                  "client_id": f"mm1-{run_id}", **producer.values()}
        src = render("source.properties", values, os.path.join(workdir, f"{run_id}-source.properties"))
        tgt = render("target.properties", values, os.path.join(workdir, f"{run_id}-target.properties"))
        cmd = run_class_cmd("kafka.tools.MirrorMaker", "--consumer.config", src, "--producer.config", tgt,
                            "--whitelist", topics_regex, "--num.streams", self.streams)
        return MirrorRun(cmd, tool_env(MM1_HEAP), [src, tgt])
