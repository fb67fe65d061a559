"""Machine description, markdown tables and the results files."""

import os
import platform
import subprocess

from .common import REPO


def machine():
    info = {"nproc": os.cpu_count(), "cpu_model": None, "memory_gib": None, "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
        info["java"] = (out.stderr or out.stdout).splitlines()[0].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        info["java"] = None
    try:
        out = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True, text=True,
                             timeout=10)
        info["kafka_dr_commit"] = out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        info["kafka_dr_commit"] = None
    return info


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers, rows, align=None):
    """A markdown table; align is a string of 'l'/'r' per column (default: first left, rest right)."""
    align = align or ("l" + "r" * (len(headers) - 1))
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    for row in rows:
        out.append("| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |")
    return "\n".join(out)


def header(title, command_line, mach, kafka_version, extra=None):
    lines = [f"# {title}", "",
             f"- command: `{command_line}`",
             f"- machine: {mach['nproc']} CPUs ({mach['cpu_model']}), {mach['memory_gib']} GiB memory, "
             f"Linux {mach['kernel']}, {mach.get('java') or 'java ?'}",
             f"- Kafka {kafka_version} (brokers, MirrorMaker 1 and 2), kafka-dr {mach.get('kafka_dr_commit') or '?'}"]
    for item in extra or []:
        lines.append(f"- {item}")
    return "\n".join(lines)
