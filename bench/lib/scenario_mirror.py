"""Scenario 'mirror': throughput, CPU and memory of dr-mirror, MirrorMaker 2 and MirrorMaker 1
copying the same source topic into a fresh target topic, runs interleaved (A B C A B C ...),
next to the ceilings of the machine (a plain producer into the target, a plain consumer of the
source)."""

import glob
import os
import subprocess
import threading
import time

from .common import BenchError, median, progress
from .mirrors import DrMirror, MirrorMaker1, MirrorMaker2
from .proctree import ManagedProcess
from .report import table

PARTITIONS = 12


def make_tools(opts):
    tools = {"dr-mirror": DrMirror(opts.streams), "mm2": MirrorMaker2(opts.tasks_max),
             "mm1": MirrorMaker1(opts.streams)}
    return [tools[k] for k in opts.tools]


def run_timeout(total_bytes):
    """Generous: 1.5 MB/s plus three minutes of start-up and stop."""
    return 180 + total_bytes / 1.5e6


def wait_caught_up(ctx, tool, proc, topic, src_ends, deadline):
    """Returns when the target topic holds every source record; raises if the mirror dies or time runs out.
    Partition-preserving mirrors: dr-bench-client wait-equal (per partition, polled every 50 ms).
    MirrorMaker 1 moves records to other partitions (key hash): the totals are compared instead."""
    want_total = src_ends["total"]
    if tool.preserves_partitions:
        timeout_s = max(10, int(deadline - time.monotonic()))
        waiter = subprocess.Popen(ctx.client.wait_equal_cmd(ctx.source, ctx.target, topic, timeout_s=timeout_s),
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  start_new_session=True)
        try:
            while waiter.poll() is None:
                proc.check_alive()
                if time.monotonic() > deadline:
                    raise BenchError(f"{tool.label} did not catch up in time; see {proc.log_path}")
                time.sleep(0.02)
        finally:
            if waiter.poll() is None:
                waiter.kill()
            out = waiter.communicate()[0]
        if waiter.returncode != 0:
            proc.check_alive()
            raise BenchError(f"{tool.label} did not catch up in time (wait-equal exit {waiter.returncode}); "
                             f"see {proc.log_path}")
        return out
    while True:
        proc.check_alive()
        try:
            got = ctx.client.end_offsets(ctx.target, topic, timeout=30, attempts=1)["total"]
        except BenchError:
            got = -1  # a topic just created may not answer yet
        if got >= want_total:
            if got > want_total:
                raise BenchError(f"{tool.label} wrote {got} records for {want_total} source records (duplicates)")
            return None
        if time.monotonic() > deadline:
            raise BenchError(f"{tool.label} did not catch up in time ({got}/{want_total}); see {proc.log_path}")
        time.sleep(0.05)


class FirstRecordWatch:
    """Polls the target topic (every 0.2 s) until it holds a record: the mirror's start-up time."""

    def __init__(self, ctx, topic, t0):
        self.ctx, self.topic, self.t0 = ctx, topic, t0
        self.seconds = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                if self.ctx.client.end_offsets(self.ctx.target, self.topic, timeout=30, attempts=1)["total"] > 0:
                    self.seconds = time.monotonic() - self.t0
                    return
            except BenchError:
                pass
            self._stop.wait(0.2)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.seconds


def settle():
    """Writes every dirty page to disk now, so that the previous run's (or the fill's) gigabytes are not
    written back by the kernel during the next timed run: every run starts from the same state."""
    os.sync()
    time.sleep(1)


def measure_mirror(ctx, tool, topic, run_id, src_ends, fill):
    """One timed run of one mirror into a fresh copy of the target topic."""
    ctx.kafka.delete_topics(ctx.target, [topic])
    if tool.needs_target_topic:
        ctx.kafka.create_topic(ctx.target, topic, PARTITIONS)
    settle()
    launch = tool.prepare(ctx.work, run_id, ctx.source, ctx.target, topic, ctx.producer)
    log = ctx.log_path(run_id)
    deadline = time.monotonic() + run_timeout(fill["bytes"])
    t0 = time.monotonic()
    proc = ManagedProcess(launch.cmd, log, env=launch.env, name=tool.label)
    watch = FirstRecordWatch(ctx, topic, t0)
    try:
        wait_caught_up(ctx, tool, proc, topic, src_ends, deadline)
        wall = time.monotonic() - t0
        m = proc.measure()
    finally:
        start_s = watch.stop()
        rc, stop_s = proc.stop(grace_s=60)
    got = ctx.client.end_offsets(ctx.target, topic)
    if got["total"] != src_ends["total"]:
        raise BenchError(f"{tool.label}: target holds {got['total']} records, source {src_ends['total']}")
    if tool.preserves_partitions and got["partitions"] != src_ends["partitions"]:
        raise BenchError(f"{tool.label}: target end offsets {got['partitions']} differ from the source's "
                         f"{src_ends['partitions']}")
    ctx.kafka.delete_topics(ctx.target, [topic])
    return {
        "tool": tool.key, "label": tool.label, "run_id": run_id, "wall_s": wall,
        "records_per_s": fill["records"] / wall, "mb_per_s": fill["bytes"] / wall / 1e6,
        "first_record_s": start_s,
        "records_per_s_after_first": fill["records"] / (wall - start_s) if start_s and wall > start_s else None,
        "cpu_s": m["cpu_s"], "rss_peak_mb": m["rss_peak_mb"], "hwm_mb": m["hwm_mb"],
        "processes": m["processes"], "samples": m["samples"], "stop_s": stop_s, "exit_status_after_stop": rc,
        "log": log,
    }


def measure_ceilings(ctx, case, topic, run_no, opts):
    """The producer ceiling (fill into a fresh target topic) and the consumer ceiling (read the source)."""
    out = []
    ceiling_topic = f"ceiling-{case}-r{run_no}"
    settle()
    args = ["fill", "--bootstrap", ctx.target, "--topic", ceiling_topic, "--partitions", PARTITIONS,
            "--records", opts.records, "--size", case_size(case), "--payload", case_payload(case),
            "--compression", opts.compression, "--create"]
    res, wall, m = ctx.run_client_measured(f"{case}-r{run_no}-producer-ceiling", args, timeout=3600)
    out.append({"tool": "producer-ceiling", "label": "producer ceiling (dr-bench-client fill)", "wall_s": wall,
                "client_seconds": res["seconds"], "records_per_s": res["records_per_s"], "mb_per_s": res["mb_per_s"],
                "cpu_s": m["cpu_s"], "rss_peak_mb": m["rss_peak_mb"], "hwm_mb": m["hwm_mb"]})
    ctx.kafka.delete_topics(ctx.target, [ceiling_topic])
    args = ["consume", "--bootstrap", ctx.source, "--topic", topic]
    settle()
    res, wall, m = ctx.run_client_measured(f"{case}-r{run_no}-consumer-ceiling", args, timeout=3600)
    if res["records"] != opts.records:
        raise BenchError(f"consumer ceiling read {res['records']} records, expected {opts.records}")
    out.append({"tool": "consumer-ceiling", "label": "consumer ceiling (dr-bench-client consume)", "wall_s": wall,
                "client_seconds": res["seconds"], "records_per_s": res["records_per_s"], "mb_per_s": res["mb_per_s"],
                "cpu_s": m["cpu_s"], "rss_peak_mb": m["rss_peak_mb"], "hwm_mb": m["hwm_mb"]})
    return out


def stored_bytes(ctx, cluster, topic):
    """Bytes of the topic's log segments on a broker's disk: the data as stored, after compression."""
    pattern = os.path.join(ctx.clusters.dir, cluster, "data", f"{topic}-*", "*.log")
    return sum(os.path.getsize(f) for f in glob.glob(pattern))


def case_size(case):
    return int(case.split("-")[0].rstrip("b"))


def case_payload(case):
    return case.split("-")[1]


def summarize(rows, tools):
    """Median per tool over the runs, and ratios to MirrorMaker 2's medians."""
    summary = {}
    for key in [t.key for t in tools] + ["producer-ceiling", "consumer-ceiling"]:
        mine = [r for r in rows if r["tool"] == key]
        if not mine:
            continue
        summary[key] = {
            "label": mine[0]["label"], "runs": len(mine),
            **{f: median([r.get(f) for r in mine]) for f in ("wall_s", "records_per_s", "mb_per_s", "cpu_s",
                                                              "rss_peak_mb", "hwm_mb", "first_record_s",
                                                              "records_per_s_after_first")},
            "wall_s_each": [round(r["wall_s"], 2) for r in mine],
        }
    base = summary.get("mm2")
    for s in summary.values():
        if base:
            s["throughput_vs_mm2"] = s["records_per_s"] / base["records_per_s"]
            s["cpu_vs_mm2"] = s["cpu_s"] / base["cpu_s"] if base["cpu_s"] else None
            s["rss_vs_mm2"] = s["rss_peak_mb"] / base["rss_peak_mb"] if base["rss_peak_mb"] else None
    return summary


def case_markdown(case, info, summary):
    mirrors, ceilings = [], []
    for key, s in summary.items():
        each = ", ".join(f"{w:.1f}" for w in s["wall_s_each"])
        if key.endswith("-ceiling"):
            ceilings.append([s["label"], s["runs"], s["wall_s"], s["records_per_s"], s["mb_per_s"], s["cpu_s"],
                             s["rss_peak_mb"], each])
            continue
        mirrors.append([s["label"], s["runs"], s["wall_s"], s["first_record_s"], s["records_per_s"], s["mb_per_s"],
                        s["records_per_s_after_first"], s["cpu_s"],
                        s["rss_peak_mb"], s["hwm_mb"],
                        f"{s['throughput_vs_mm2']:.2f}x" if "throughput_vs_mm2" in s else "-",
                        f"{s['cpu_vs_mm2']:.2f}x" if s.get("cpu_vs_mm2") else "-",
                        f"{s['rss_vs_mm2']:.2f}x" if s.get("rss_vs_mm2") else "-", each])
    ratio = f", {info['bytes'] / info['stored_bytes']:.1f}:1" if info["stored_bytes"] else ""
    text = [f"### {info['records']:,} records x {info['size']} B, {info['payload']} payload, "
            f"{PARTITIONS} partitions ({info['bytes'] / 1e6:,.0f} MB of keys and values)", "",
            f"Stored with {info['compression']} compression as {info['stored_bytes'] / 1e6:,.1f} MB on the "
            f"source's disk{ratio}.", "",
            f"Medians over the runs; wall time from the mirror's start until the target holds every record "
            f"(first record s: until the target holds one, i.e. start-up). "
            f"The source was filled at {info['fill']['records_per_s']:,.0f} records/s.", "",
            table(["", "runs", "wall s", "first record s", "records/s", "MB/s", "records/s after first", "CPU s",
                   "peak RSS MB", "sum VmHWM MB", "throughput vs MM2", "CPU vs MM2", "RSS vs MM2", "wall s per run"],
                  mirrors)]
    if ceilings:
        text += ["", "Ceilings of this machine (a mirror cannot beat the slower of the two; rates as the client "
                     "measures them, from its first record to its last):", "",
                 table(["", "runs", "wall s", "records/s", "MB/s", "CPU s", "peak RSS MB", "wall s per run"],
                       ceilings)]
    return "\n".join(text)


def run(ctx):
    opts = ctx.opts
    tools = make_tools(opts)
    cases = [f"{size}b-{payload}" for size in opts.sizes for payload in opts.payloads]
    result = {"partitions": PARTITIONS, "records": opts.records, "runs": opts.runs,
              "producer": ctx.producer.describe(), "streams": opts.streams, "mm2_tasks_max": opts.tasks_max,
              "tools": [t.key for t in tools], "cases": {}}
    markdown = []
    for ci, case in enumerate(cases, 1):
        size, payload = case_size(case), case_payload(case)
        topic = f"mirror-{case}"
        progress("mirror", f"case {ci}/{len(cases)}: filling {topic} on the source with {opts.records:,} records "
                           f"x {size} B ({payload}, compression {opts.compression})")
        fill = ctx.client.fill(ctx.source, topic, PARTITIONS, opts.records, size, payload, opts.compression)
        src_ends = ctx.client.end_offsets(ctx.source, topic)
        if src_ends["total"] != opts.records:
            raise BenchError(f"{topic} holds {src_ends['total']} records after the fill, expected {opts.records}")
        stored = stored_bytes(ctx, "source", topic)
        progress("mirror", f"filled in {fill['seconds']:.1f} s ({fill['records_per_s']:,.0f} records/s, "
                           f"{fill['mb_per_s']:.1f} MB/s); stored as {stored / 1e6:,.1f} MB on the source's disk")
        # Not measured: read the source once and write the same records into a scratch topic on the
        # target, so that the first timed run does not also pay for the brokers' warm-up (JIT, caches).
        progress("mirror", "warm-up: reading the source and writing the target once (not measured)")
        ctx.client.consume(ctx.source, topic)
        ctx.client.fill(ctx.target, f"warmup-{case}", PARTITIONS, opts.records, size, payload, opts.compression)
        ctx.kafka.delete_topics(ctx.target, [f"warmup-{case}"])
        rows = []
        for r in range(1, opts.runs + 1):
            for t in tools:
                run_id = f"{case}-r{r}-{t.key}"
                progress("mirror", f"{case} run {r}/{opts.runs}: {t.label} ...")
                row = measure_mirror(ctx, t, topic, run_id, src_ends, fill)
                row["run"] = r
                rows.append(row)
                progress("mirror", f"{case} run {r}/{opts.runs}: {t.label}: {row['wall_s']:.1f} s, "
                                   f"{row['records_per_s']:,.0f} records/s, {row['mb_per_s']:.1f} MB/s, "
                                   f"CPU {row['cpu_s']:.1f} s, peak RSS {row['rss_peak_mb']:.0f} MB")
            if not opts.no_ceiling:
                progress("mirror", f"{case} run {r}/{opts.runs}: ceilings (plain producer into the target, "
                                   f"plain consumer of the source) ...")
                for row in measure_ceilings(ctx, case, topic, r, opts):
                    row["run"] = r
                    rows.append(row)
                    progress("mirror", f"{case} run {r}/{opts.runs}: {row['label']}: "
                                       f"{row['records_per_s']:,.0f} records/s, {row['mb_per_s']:.1f} MB/s")
        summary = summarize(rows, tools)
        info = {"topic": topic, "size": size, "payload": payload, "records": opts.records, "bytes": fill["bytes"],
                "stored_bytes": stored, "compression": opts.compression, "fill": fill, "source_end_offsets": src_ends}
        result["cases"][case] = {**info, "summary": summary, "runs": rows}
        markdown.append(case_markdown(case, info, summary))
        ctx.kafka.delete_topics(ctx.source, [topic])
    return result, "\n\n".join(markdown)
