"""Scenario 'failover': move many consumer groups to the standby.
dr-failover (all groups, one command) against Kafka's ConsumerGroupCommand --reset-offsets
--to-datetime run once per group, as operators do it (a sample of groups is timed and the time is
extrapolated to all of them)."""

import time

from .common import BenchError, progress, run as run_cmd, tool
from .context import checkpointed_groups, dump
from .kafka import run_class_cmd, tool_env
from .mirrors import DrMirror, render
from .proctree import ManagedProcess
from .report import table

PARTITIONS = 24
TOPIC = "failover"
PREFIX = "fo-g"


def kafka_datetime(at_ms):
    """ConsumerGroupCommand's --to-datetime form, without a zone: it reads that as local time."""
    t = time.localtime(at_ms / 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{at_ms % 1000:03d}"


def run(ctx):
    opts = ctx.opts
    n_groups, sample = opts.groups, min(opts.sample, opts.groups)
    ctx.kafka.delete_topics(ctx.target, [TOPIC])
    progress("failover", f"filling {TOPIC} ({PARTITIONS} partitions) with {opts.failover_records:,} records x 100 B")
    fill = ctx.client.fill(ctx.source, TOPIC, PARTITIONS, opts.failover_records, 100, "compressible", opts.compression)
    progress("failover", f"committing random offsets for {n_groups} groups {PREFIX}0..{PREFIX}{n_groups - 1} "
                         f"on every partition")
    committed = ctx.client.commit_groups(ctx.source, TOPIC, n_groups, PREFIX, seed=11)
    committed_file = dump(ctx.work_path("failover-committed.json"), committed)

    # dr-mirror copies the topic and checkpoints the groups into its state file.
    mirror = DrMirror(opts.streams)
    launch = mirror.prepare(ctx.work, "failover-dr-mirror", ctx.source, ctx.target, TOPIC, ctx.producer,
                            groups=f"{PREFIX}.*", checkpoint_interval_ms=1000)
    progress("failover", f"dr-mirror: mirroring and checkpointing the groups into {launch.state}")
    proc = ManagedProcess(launch.cmd, ctx.log_path("failover-dr-mirror"), env=launch.env, name="dr-mirror",
                          sample=False)
    try:
        ctx.client.wait_equal(ctx.source, ctx.target, TOPIC, timeout_s=600)
        deadline = time.monotonic() + 300
        while True:
            proc.check_alive()
            have = checkpointed_groups(launch.state, PREFIX)
            if have >= n_groups:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"dr-mirror checkpointed {have} of {n_groups} groups within 300 s; "
                                 f"see {proc.log_path}")
            time.sleep(0.5)
        time.sleep(2)  # one more commit interval: the newest mapping is in the state file too
    finally:
        rc, _ = proc.stop(grace_s=60)
    if rc != 0:
        raise BenchError(f"dr-mirror exited {rc} on SIGTERM; see {proc.log_path}")
    progress("failover", f"dr-mirror stopped; the state file has checkpoints for {n_groups} groups")

    tgt_config = render("target-admin.properties", {"target_bootstrap": ctx.target},
                        ctx.work_path("failover-target.properties"))
    at_ms = int(time.time() * 1000)
    cmd = [tool("dr-failover"), "--state", launch.state, "--target-config", tgt_config, "--at", str(at_ms),
           "--groups", f"{PREFIX}.*", "--execute", "--format", "json"]
    progress("failover", f"dr-failover --execute for {n_groups} groups ...")
    t0 = time.monotonic()
    cp = run_cmd(cmd, timeout=1800, what="dr-failover", log=ctx.commands_log)
    dr_seconds = time.monotonic() - t0
    with open(ctx.work_path("failover-dr-failover.json"), "w", encoding="utf-8") as f:
        f.write(cp.stdout)
    progress("failover", f"dr-failover: {dr_seconds:.2f} s for {n_groups} groups")

    after = ctx.client.group_offsets(ctx.target, PREFIX, TOPIC)
    dr_candidate = dump(ctx.work_path("failover-candidate-dr-failover.json"), after)
    moved = len(after["groups"])
    if moved != n_groups:
        raise BenchError(f"after dr-failover the standby has offsets for {moved} of {n_groups} groups")
    partial = [g for g, parts in after["groups"].items() if len(parts) != PARTITIONS]
    if partial:
        raise BenchError(f"after dr-failover {len(partial)} groups lack partitions on the standby, e.g. {partial[0]}")

    # Kafka's tool, once per group, for a sample of the groups.
    sampled = [f"{PREFIX}{i}" for i in range(sample)]
    when = kafka_datetime(at_ms)
    env = tool_env("-Xmx256m")
    per_group = []
    for i, g in enumerate(sampled, 1):
        progress("failover", f"ConsumerGroupCommand --reset-offsets --to-datetime {when} --execute: "
                             f"group {i}/{sample} ({g})")
        cmd = run_class_cmd("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
                            ctx.target, "--group", g, "--topic", TOPIC, "--reset-offsets", "--to-datetime", when,
                            "--execute")
        t0 = time.monotonic()
        run_cmd(cmd, timeout=300, env=env, what=f"ConsumerGroupCommand for {g}", log=ctx.commands_log)
        per_group.append(time.monotonic() - t0)
    kafka_total = sum(per_group)
    per = kafka_total / len(per_group)
    extrapolated = per * n_groups

    # How far each way of failing over is from the truth, for the sampled groups.
    reset = ctx.client.group_offsets(ctx.target, PREFIX, TOPIC)
    sample_set = set(sampled)
    committed_sample = dump(ctx.work_path("failover-committed-sample.json"),
                            {"groups": {g: p for g, p in committed["groups"].items() if g in sample_set}})
    kafka_candidate = dump(ctx.work_path("failover-candidate-kafka-tool.json"),
                           {"groups": {g: p for g, p in reset["groups"].items() if g in sample_set}})
    acc_all = ctx.client.accuracy(ctx.target, TOPIC, PARTITIONS, committed_file, {"dr-failover": dr_candidate})
    acc_sample = ctx.client.accuracy(ctx.target, TOPIC, PARTITIONS, committed_sample,
                                     {"dr-failover": dr_candidate, "kafka-tool": kafka_candidate})
    ctx.kafka.delete_topics(ctx.target, [TOPIC])
    ctx.kafka.delete_topics(ctx.source, [TOPIC])

    result = {
        "topic": TOPIC, "partitions": PARTITIONS, "records": opts.failover_records, "groups": n_groups,
        "at_ms": at_ms, "kafka_datetime": when,
        "dr_failover": {"seconds": dr_seconds, "groups_per_s": n_groups / dr_seconds,
                        "accuracy_all_groups": acc_all["candidates"]["dr-failover"],
                        "accuracy_sample": acc_sample["candidates"]["dr-failover"]},
        "kafka_tool": {"sampled_groups": sample, "seconds_each": per_group, "seconds_per_group": per,
                       "extrapolated_seconds": extrapolated, "extrapolated": sample < n_groups,
                       "accuracy_sample": acc_sample["candidates"]["kafka-tool"]},
        "speedup": extrapolated / dr_seconds,
    }
    a_dr, a_dr_s, a_k = (result["dr_failover"]["accuracy_all_groups"], result["dr_failover"]["accuracy_sample"],
                         result["kafka_tool"]["accuracy_sample"])
    how = (f"timed for {sample} groups ({kafka_total:.1f} s, {per:.2f} s per group), extrapolated to {n_groups}"
           if sample < n_groups else f"timed for all {n_groups} groups")
    rows = [
        ["dr-failover (one command, all groups)", f"{dr_seconds:.2f}", f"measured for all {n_groups} groups",
         f"{a_dr['exact_groups']}/{a_dr['groups']}", a_dr["redelivered"], a_dr["skipped"],
         f"{a_dr_s['redelivered']} / {a_dr_s['skipped']}"],
        ["ConsumerGroupCommand --reset-offsets --to-datetime, once per group", f"{extrapolated:.1f}", how,
         "-", "-", "-", f"{a_k['redelivered']} / {a_k['skipped']}"],
    ]
    md = "\n".join([
        f"### {n_groups} consumer groups, topic of {PARTITIONS} partitions, {opts.failover_records:,} records",
        "",
        f"Failover time {when} (local time; epoch ms {at_ms}), after the last record: a time-based reset puts "
        f"every partition at its end. dr-failover is {result['speedup']:.0f}x faster here.",
        "",
        table(["", "seconds", "how", "exact groups", "redelivered", "skipped",
               f"redelivered / skipped, {sample} sampled groups"], rows, "lrlrrrr"),
    ])
    return result, md
