"""Scenario 'resync': failback after a failover. dr-resync (save what diverged, keep the partitions that
did not diverge, copy back only the new records) against the naive approach (wipe every partition of the
old primary and mirror everything back), on the same data in the same run: two identical topics, one
resynced each way.

Set-up per topic: the source (old primary) is filled, dr-mirror copies it to the target (new primary),
the source then takes a few records on partition 0 only that never reach the target (the diverged
ones), the link is fenced as dr-failover would, and the target takes new records (10% more)."""

import json
import os
import sqlite3
import time

from .common import BenchError, progress, run as run_cmd, tool
from .mirrors import DrMirror, render
from .report import table

PARTITIONS = 12
TOPICS = {"dr-resync": "resync-smart", "naive": "resync-naive"}


def fence(state):
    """What dr-failover --execute does to the link first (the groups are not the point here)."""
    with sqlite3.connect(state) as db:
        db.execute("UPDATE links SET state = 'failed_over', epoch = epoch + 1, state_reason = 'bench: failover'")
        (source_id,) = db.execute("SELECT source_cluster_id FROM links").fetchone()
    return source_id


def set_up(ctx, topic, records, diverged, new):
    opts = ctx.opts
    ctx.kafka.delete_topics(ctx.source, [topic])
    ctx.kafka.delete_topics(ctx.target, [topic])
    progress("resync", f"{topic}: filling the source with {records:,} records x {opts.sizes[0]} B over {PARTITIONS} partitions")
    ctx.client.fill(ctx.source, topic, PARTITIONS, records, opts.sizes[0], "compressible", opts.compression)
    mirror = DrMirror(opts.streams)
    launch = mirror.prepare(ctx.work, f"resync-{topic}", ctx.source, ctx.target, topic, ctx.producer)
    progress("resync", f"{topic}: dr-mirror --until-caught-up source -> target")
    run_cmd(launch.cmd + ["--until-caught-up"], timeout=3600, what="dr-mirror (forward)", log=ctx.commands_log)
    progress("resync", f"{topic}: {diverged} records on source partition 0 only (never mirrored), failover, "
                       f"{new:,} new records on the target")
    ctx.client.fill(ctx.source, topic, 1, diverged, opts.sizes[0], "compressible", opts.compression, create=False)
    source_id = fence(launch.state)
    ctx.client.fill(ctx.target, topic, PARTITIONS, new, opts.sizes[0], "compressible", opts.compression, create=False)
    return launch.state, source_id


def run(ctx):
    opts = ctx.opts
    records = opts.resync_records
    diverged = max(1, records // 1000)
    new = max(1, records // 10)
    src_cfg = render("target-admin.properties", {"target_bootstrap": ctx.source}, ctx.work_path("resync-source.properties"))
    tgt_cfg = render("target-admin.properties", {"target_bootstrap": ctx.target}, ctx.work_path("resync-target.properties"))

    # dr-resync.
    topic = TOPICS["dr-resync"]
    state, source_id = set_up(ctx, topic, records, diverged, new)
    save_dir = ctx.work_path("resync-saved")
    cmd = [tool("dr-resync"), "--state", state, "--old-primary-config", src_cfg, "--new-primary-config", tgt_cfg,
           "--topics", topic, "--save-dir", save_dir, "--quiet-period", "1s", "--execute", "--confirm", source_id,
           "--mirror", "--format", "json"]
    progress("resync", f"{topic}: dr-resync --execute --mirror ...")
    t0 = time.monotonic()
    cp = run_cmd(cmd, timeout=3600, what="dr-resync", log=ctx.commands_log)
    smart_s = time.monotonic() - t0
    report = json.loads(cp.stdout)
    with open(ctx.work_path("resync-dr-resync.json"), "w", encoding="utf-8") as f:
        f.write(cp.stdout)
    smart_copied = sum(p["records_to_copy"] for p in report["partitions"])
    saved = sum(p["diverged_records"] for p in report["partitions"])
    kept = sum(1 for p in report["partitions"] if p["action"] == "keep")
    if saved != diverged:
        raise BenchError(f"dr-resync saved {saved} diverged records, the scenario wrote {diverged}")
    progress("resync", f"dr-resync: {smart_s:.1f} s, {smart_copied:,} records copied back, {kept} of {PARTITIONS} "
                       f"partitions kept, {saved} saved")

    # Naive: wipe every partition of the old primary, mirror everything back.
    topic = TOPICS["naive"]
    set_up(ctx, topic, records, diverged, new)
    progress("resync", f"{topic}: naive: DeleteRecords on every partition, then dr-mirror target -> source ...")
    t0 = time.monotonic()
    for p in range(PARTITIONS):
        run_cmd(ctx.client.cmd("delete-records", "--bootstrap", ctx.source, "--topic", topic, "--partition", p),
                timeout=120, what="delete records", log=ctx.commands_log)
    back = DrMirror(opts.streams).prepare(ctx.work, f"resync-naive-back", ctx.target, ctx.source, topic, ctx.producer)
    run_cmd(back.cmd + ["--until-caught-up"], timeout=3600, what="dr-mirror (naive copy back)", log=ctx.commands_log)
    naive_s = time.monotonic() - t0
    naive_copied = records + new
    progress("resync", f"naive: {naive_s:.1f} s, {naive_copied:,} records copied back, {diverged} diverged records "
                       f"destroyed unsaved")
    for t in TOPICS.values():
        ctx.kafka.delete_topics(ctx.target, [t])
        ctx.kafka.delete_topics(ctx.source, [t])

    result = {"partitions": PARTITIONS, "records": records, "size": opts.sizes[0], "diverged": diverged, "new": new,
              "dr_resync": {"seconds": smart_s, "records_copied": smart_copied, "partitions_kept": kept,
                            "diverged_saved": saved},
              "naive": {"seconds": naive_s, "records_copied": naive_copied, "diverged_saved": 0},
              "copied_ratio": naive_copied / max(1, smart_copied), "speedup": naive_s / max(0.001, smart_s)}
    rows = [["dr-resync --execute --mirror", f"{smart_s:.1f}", f"{smart_copied:,}",
             f"{kept} of {PARTITIONS} kept", f"{saved} saved, verified"],
            ["naive: wipe every partition, mirror everything back", f"{naive_s:.1f}", f"{naive_copied:,}",
             f"0 of {PARTITIONS} kept", f"{diverged} destroyed unsaved"]]
    md = "\n".join([
        f"### {records:,} records x {opts.sizes[0]} B over {PARTITIONS} partitions; {diverged} diverged on one "
        f"partition; {new:,} new records on the new primary",
        "",
        f"dr-resync copies {result['copied_ratio']:.1f}x fewer records back; wall time {smart_s:.1f} s against "
        f"{naive_s:.1f} s (dr-resync's includes its 1 s quiet-period check, the plan's reads and the save).",
        "",
        table(["", "seconds", "records copied back", "partitions", "diverged records"], rows, "lrrll"),
    ])
    return result, md
