"""Scenario 'accuracy': where do parked consumer groups resume on the standby?
Groups sit at random committed offsets on the source. MirrorMaker 2 (checkpoints and group offset
sync, short intervals) writes its translated offsets to the standby; dr-mirror checkpoints the
groups and dr-translate-offsets answers from its state file. The referee (dr-bench-client
accuracy) reads the standby's data and counts, per group, the records each candidate would deliver
again and the records it would skip."""

import json
import time

from .common import BenchError, progress, run as run_cmd, tool
from .context import checkpointed_groups, dump, translate_to_candidate
from .mirrors import DrMirror, MirrorMaker2
from .proctree import ManagedProcess
from .report import table

PARTITIONS = 12
TOPIC = "accuracy"
DR_TOPIC = "drm-accuracy"   # dr-mirror writes here (--rename), so the two copies never mix
PREFIX = "acc-g"


def pairs(groups_json):
    return {(g, p) for g, parts in groups_json["groups"].items() for p in parts}


def run_mm2(ctx, committed, n_groups):
    mm2 = MirrorMaker2(ctx.opts.tasks_max)
    launch = mm2.prepare(ctx.work, "accuracy-mm2", ctx.source, ctx.target, TOPIC, ctx.producer,
                         groups=f"{PREFIX}.*", sync_group_offsets=True, fast=True)
    progress("accuracy", "MirrorMaker 2 (offset syncs every 100 records and at each 1 s offset flush, checkpoints "
                         "and group offset sync every 1 s) ...")
    proc = ManagedProcess(launch.cmd, ctx.log_path("accuracy-mm2"), env=launch.env, name="MirrorMaker 2",
                          sample=False)
    want = pairs(committed)
    waited = stable = 0
    last = None
    try:
        ctx.client.wait_equal(ctx.source, ctx.target, TOPIC, timeout_s=ctx.opts.accuracy_timeout)
        progress("accuracy", "MirrorMaker 2 caught up; waiting for its synced group offsets on the standby")
        t_caught_up = time.monotonic()
        limit = ctx.opts.accuracy_timeout
        while True:
            proc.check_alive()
            got = ctx.client.group_offsets(ctx.target, PREFIX, TOPIC)
            have = pairs(got)
            stable = stable + 1 if got == last else 0
            last = got
            waited = time.monotonic() - t_caught_up
            # Complete and unchanged for three polls (6 s, several sync intervals), or incomplete but
            # unchanged for ten (20 s): MirrorMaker 2 has said its last word. (It writes nothing for a
            # group partition whose committed offset is older than the oldest offset sync it kept.)
            if (want <= have and stable >= 3) or stable >= 10:
                break
            if waited > limit:
                progress("accuracy", f"MirrorMaker 2: after {limit} s the standby has {len(have & want)} of "
                                     f"{len(want)} group partitions; taking what is there")
                break
            time.sleep(2)
    finally:
        proc.stop(grace_s=60)
    cand = dump(ctx.work_path("accuracy-candidate-mm2.json"), last)
    return cand, {"seconds_after_caught_up": waited, "group_partitions": len(pairs(last) & want),
                  "group_partitions_wanted": len(want), "groups_on_standby": len(last["groups"]),
                  "log": proc.log_path}


def run_dr_mirror(ctx, n_groups):
    mirror = DrMirror(ctx.opts.streams)
    launch = mirror.prepare(ctx.work, "accuracy-dr-mirror", ctx.source, ctx.target, TOPIC, ctx.producer,
                            groups=f"{PREFIX}.*", checkpoint_interval_ms=1000, rename="drm-{topic}")
    progress("accuracy", f"dr-mirror (checkpoints every 1 s) into {DR_TOPIC} ...")
    proc = ManagedProcess(launch.cmd, ctx.log_path("accuracy-dr-mirror"), env=launch.env, name="dr-mirror",
                          sample=False)
    try:
        ctx.client.wait_equal(ctx.source, ctx.target, TOPIC, target_topic=DR_TOPIC,
                              timeout_s=ctx.opts.accuracy_timeout)
        deadline = time.monotonic() + 120
        while checkpointed_groups(launch.state, PREFIX) < n_groups:
            proc.check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"dr-mirror did not checkpoint all {n_groups} groups within 120 s; "
                                 f"see {proc.log_path}")
            time.sleep(0.5)
        time.sleep(2)  # one more commit interval, so the state file holds the newest mapping
    finally:
        rc, _ = proc.stop(grace_s=60)
    if rc != 0:
        raise BenchError(f"dr-mirror exited {rc} on SIGTERM; see {proc.log_path}")
    cp = run_cmd([tool("dr-translate-offsets"), "--state", launch.state, "--groups", f"{PREFIX}.*", "--format", "json"],
             timeout=300, what="dr-translate-offsets", log=ctx.commands_log)
    rows = json.loads(cp.stdout)["results"]
    return dump(ctx.work_path("accuracy-candidate-dr-mirror.json"), translate_to_candidate(rows, DR_TOPIC))


def run(ctx):
    opts = ctx.opts
    n_groups = opts.accuracy_groups
    ctx.kafka.delete_topics(ctx.target, [TOPIC, DR_TOPIC])
    progress("accuracy", f"filling {TOPIC} ({PARTITIONS} partitions) with {opts.accuracy_records:,} records x 100 B")
    ctx.client.fill(ctx.source, TOPIC, PARTITIONS, opts.accuracy_records, 100, "compressible", opts.compression)
    progress("accuracy", f"parking {n_groups} groups at random committed offsets")
    committed = ctx.client.commit_groups(ctx.source, TOPIC, n_groups, PREFIX, seed=7)
    committed_file = dump(ctx.work_path("accuracy-committed.json"), committed)

    mm2_file, mm2_info = run_mm2(ctx, committed, n_groups)
    drm_file = run_dr_mirror(ctx, n_groups)

    progress("accuracy", "refereeing both candidates against the data on the standby")
    a_mm2 = ctx.client.accuracy(ctx.target, TOPIC, PARTITIONS, committed_file, {"mm2": mm2_file})["candidates"]["mm2"]
    a_drm = ctx.client.accuracy(ctx.target, DR_TOPIC, PARTITIONS, committed_file,
                                {"dr-mirror": drm_file})["candidates"]["dr-mirror"]
    ctx.kafka.delete_topics(ctx.target, [TOPIC, DR_TOPIC])
    ctx.kafka.delete_topics(ctx.source, [TOPIC])

    per_partition = opts.accuracy_records // PARTITIONS
    result = {"topic": TOPIC, "partitions": PARTITIONS, "records": opts.accuracy_records, "groups": n_groups,
              "candidates": {"mm2": {**a_mm2, **mm2_info}, "dr-mirror": a_drm}}
    rows = []
    for label, a in (("MirrorMaker 2 (offsets synced to the standby)", a_mm2),
                     ("dr-mirror + dr-translate-offsets", a_drm)):
        g = max(a["groups"], 1)
        rows.append([label, f"{a['exact_groups']}/{a['groups']}", a["redelivered"], f"{a['redelivered'] / g:,.1f}",
                     a["max_redelivered"], a["skipped"], a.get("missing", 0)])
    md = "\n".join([
        f"### {n_groups} parked groups, {PARTITIONS} partitions x {per_partition:,} records",
        "",
        "Redelivered: records a group would read again after moving to the standby; skipped: records it "
        "would never read (data loss for it). Missing: group partitions with no offset on the standby "
        "(the consumer's auto.offset.reset decides).",
        "",
        table(["", "exact groups", "redelivered", "per group", "max per group", "skipped", "missing"], rows),
    ])
    return result, md
