"""The benchmark's figures as a console table and as the figures section of ``docs/benchmarks.md``."""

from __future__ import annotations

import re
from pathlib import Path

GIB_MIB = 1024
START, END = "<!-- figures:start -->", "<!-- figures:end -->"

#: (target id, description, limit, unit)
TARGETS = (
    ("ratio", "1,000 returns read + validated + stored, ÷ calamine floor (wall)", 3.0, "×"),
    ("consolidate_render", "consolidation + rendering of 1,000 units (wall)", 10.0, "s"),
    ("peak_rss", "peak RSS of any stage at 1,000 units", float(GIB_MIB), "MiB"),
    ("dag_import", "DAG file import above `import airflow.sdk` (median CPU time)", 50.0, "ms"),
    (
        "task_cpu_tasks_test",
        "one per-unit task instance, `airflow tasks test` (user+sys CPU, max of 3)",
        3.0,
        "s",
    ),
    ("task_cpu_plain", "one unit's wait+validate+accept in one plain process (CPU)", 3.0, "s"),
    ("sample_run", "12-unit sample run, `scripts/run-sample.sh` (wall)", 60.0, "s"),
)


def _by(stages: list[dict]) -> dict[tuple[str, int], dict[str, dict]]:
    out: dict[tuple[str, int], dict[str, dict]] = {}
    for s in stages:
        out.setdefault((s["format"], s["n"]), {})[s["stage"]] = s
    return out


def summarise(info: dict) -> dict:
    """Per (format, N): the derived figures; and every target's measured value and verdict."""
    groups = {}
    for (fmt, n), st in _by(info.get("stages", [])).items():
        ok = all("error" not in s for s in st.values())
        g: dict = {"format": fmt, "n": n, "complete": ok}
        if ok:
            rvs = [st[k] for k in ("read", "validate", "store")]
            g["rvs_wall_s"] = round(sum(s["wall_s"] for s in rvs), 3)
            g["rvs_cpu_s"] = round(sum(s["cpu_s"] for s in rvs), 3)
            g["ratio_wall"] = round(g["rvs_wall_s"] / max(st["floor"]["wall_s"], 1e-9), 1)
            g["ratio_cpu"] = round(g["rvs_cpu_s"] / max(st["floor"]["cpu_s"], 1e-9), 1)
            g["consolidate_render_wall_s"] = round(st["consolidate"]["wall_s"] + st["render"]["wall_s"], 3)
            g["consolidate_render_cpu_s"] = round(st["consolidate"]["cpu_s"] + st["render"]["cpu_s"], 3)
            g["peak_rss_mib"] = max(s["peak_rss_mib"] for s in st.values())
            each = st["validate_each"]
            k = max(each.get("returns_validated", 1), 1)
            g["validate_each_per_return_s"] = round(each["wall_s"] / k, 3)
            g["validate_each_extrapolated_s"] = round(each["wall_s"] / k * n, 1)
            g["validate_batch_per_return_s"] = round(st["validate"]["wall_s"] / n, 4)
        groups[f"{fmt}/{n}"] = g

    largest = max((g["n"] for g in groups.values()), default=0)
    top = [g for g in groups.values() if g["n"] == largest and g["complete"]]
    measured: dict[str, float | None] = {
        "ratio": max((g["ratio_wall"] for g in top), default=None),
        "consolidate_render": max((g["consolidate_render_wall_s"] for g in top), default=None),
        "peak_rss": max((g["peak_rss_mib"] for g in top), default=None),
    }
    af = info.get("airflow") or {}
    if af.get("dag_import"):
        measured["dag_import"] = af["dag_import"]["dag_above_sdk_cpu_ms"]
    tests = [t for t in af.get("tasks_test", []) if t.get("returncode") == 0]
    measured["task_cpu_tasks_test"] = max((t["cpu_s"] for t in tests), default=None)
    plain = af.get("pipeline_unit") or {}
    measured["task_cpu_plain"] = plain.get("total_cpu_s")
    sample = af.get("sample_run") or {}
    measured["sample_run"] = sample.get("wall_s")
    targets = []
    for key, text, limit, unit in TARGETS:
        value = measured.get(key)
        if key in ("ratio", "consolidate_render", "peak_rss"):
            text = text.replace("1,000", f"{largest:,}")
        verdict = "—" if value is None else ("met" if value <= limit else "MISSED")
        targets.append(
            {"id": key, "target": text, "limit": limit, "unit": unit, "value": value, "verdict": verdict}
        )
    return {"groups": groups, "targets": targets, "largest": largest}


def _ms(seconds: float, n: int) -> str:
    return f"{seconds / n * 1000:.1f}"


def stage_rows(info: dict) -> list[list[str]]:
    rows = []
    for s in info.get("stages", []):
        n = s["n"]
        if "error" in s:
            rows.append([s["format"], str(n), s["stage"], "error", s["error"][:60], "", "", ""])
            continue
        k = s.get("returns_validated", n)
        rows.append(
            [
                s["format"],
                str(n),
                s["stage"] + (f" (first {k})" if s["stage"] == "validate_each" else ""),
                f"{s['wall_s']:.2f}",
                f"{s['cpu_s']:.2f}",
                _ms(s["wall_s"], k),
                _ms(s["cpu_s"], k),
                f"{s['peak_rss_mib']:.0f}",
            ]
        )
    return rows


STAGE_HEAD = ["format", "N", "stage", "wall s", "CPU s", "wall ms/return", "CPU ms/return", "peak RSS MiB"]


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)] if rows else []
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False))
    out = [line, "-" * len(line)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(out)


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def group_rows(summary: dict) -> list[list[str]]:
    rows = []
    for g in summary["groups"].values():
        if not g["complete"]:
            rows.append([g["format"], str(g["n"])] + ["error"] * 7)
            continue
        rows.append(
            [
                g["format"],
                str(g["n"]),
                f"{g['rvs_wall_s']:.2f}",
                f"{g['ratio_wall']}× / {g['ratio_cpu']}×",
                f"{g['validate_batch_per_return_s'] * 1000:.1f}",
                f"{g['validate_each_per_return_s'] * 1000:.0f}",
                f"{g['validate_each_extrapolated_s']:.0f}",
                f"{g['consolidate_render_wall_s']:.2f}",
                f"{g['peak_rss_mib']:.0f}",
            ]
        )
    return rows


GROUP_HEAD = [
    "format",
    "N",
    "read+validate+store s",
    "÷ floor (wall / CPU)",
    "GX batched ms/return",
    "GX one run each ms/return",
    "one run each, N returns s (extrapolated)",
    "consolidate+render s",
    "peak RSS MiB",
]


def target_rows(summary: dict) -> list[list[str]]:
    rows = []
    for t in summary["targets"]:
        value = "not measured" if t["value"] is None else f"{t['value']:g} {t['unit']}"
        rows.append([t["target"], f"≤ {t['limit']:g} {t['unit']}", value, t["verdict"]])
    return rows


def airflow_rows(info: dict) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    af = info.get("airflow") or {}
    sample = af.get("sample_run") or {}
    tasks = [
        [
            t["task"],
            str(t["instances"]),
            ", ".join(f"{k} {v}" for k, v in t["states"].items()),
            f"{t['sum_s']:.2f}",
            f"{t['max_s']:.2f}" if t["max_s"] is not None else "",
            f"{t['span_s']:.2f}" if t["span_s"] is not None else "",
        ]
        for t in sample.get("tasks", [])
    ]
    tests = [
        [t["task"], f"{t['cpu_s']:.2f}", f"{t['wall_s']:.2f}", str(t["returncode"])]
        for t in af.get("tasks_test", [])
    ]
    plain = af.get("pipeline_unit") or {}
    steps = [[k.removesuffix("_s"), f"{v:.3f}"] for k, v in plain.items() if k.endswith("_s")]
    return tasks, tests, steps


def import_text(imp: dict) -> str:
    return (
        f"DAG file import above `import airflow.sdk`: {imp.get('dag_above_sdk_cpu_ms')} ms CPU, "
        f"{imp.get('dag_above_sdk_ms')} ms wall (medians of {imp.get('repeats')} fresh processes; wall min "
        f"{imp.get('dag_above_sdk_min_ms')} ms). A minimal one-@task DAG file: "
        f"{imp.get('baseline_dag_above_sdk_cpu_ms')} ms CPU, {imp.get('baseline_dag_above_sdk_ms')} ms wall; "
        f"the project's share: {imp.get('project_share_cpu_ms')} ms CPU. `import airflow.sdk` itself: "
        f"{imp.get('sdk_import_cpu_s')} s CPU, {imp.get('sdk_import_s')} s wall. Heavy modules the DAG file "
        f"loads: {', '.join(imp.get('heavy_modules_loaded') or []) or 'none'}."
    )


def print_report(info: dict) -> None:
    summary = summarise(info)
    info["summary"] = summary
    m = info["machine"]
    print(
        f"\n== {info['started']} · {m['nproc']} CPUs · {m['cpu']} · {m['memory_gib']} GiB · load {m['load_average']}"
    )
    print("\nStages (each in its own process; per return = per return processed)")
    print(_table(STAGE_HEAD, stage_rows(info)))
    print("\nPer format and size")
    print(_table(GROUP_HEAD, group_rows(summary)))
    af = info.get("airflow")
    if af:
        imp = af.get("dag_import", {})
        print("\n" + import_text(imp))
        tasks, tests, steps = airflow_rows(info)
        sample = af.get("sample_run", {})
        print(
            f"\nSample run (scripts/run-sample.sh 2020): {sample.get('wall_s')} s wall, {sample.get('cpu_s')} s CPU, "
            f"exit {sample.get('returncode')}"
        )
        print(_table(["task", "instances", "states", "sum s", "max s", "first start → last end s"], tasks))
        print("\nOne per-unit task instance: `airflow tasks test … --map-index 0` (process + children)")
        print(_table(["task", "CPU s", "wall s", "exit"], tests))
        print("\nOne unit's wait → validate → accept in a plain Python process (CPU s)")
        print(_table(["step", "CPU s"], steps))
    print("\nTargets")
    print(_table(["target", "limit", "measured", "verdict"], target_rows(summary)))


def markdown(info: dict) -> str:
    summary = info.get("summary") or summarise(info)
    m = info["machine"]
    parts = [
        START,
        f"Measured {info['started']} on {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB RAM, Python "
        f"{m['python']}; load average {m['load_average']} at the start, {m.get('load_average_end')} at the end. "
        f"`make bench` took {info.get('total_s')} s (generating inputs: {info.get('generate_s')} s).",
        "",
        "### Targets",
        "",
        _md_table(["target", "limit", "measured", "verdict"], target_rows(summary)),
        "",
        "### Per format and size",
        "",
        _md_table(GROUP_HEAD, group_rows(summary)),
        "",
        "### Stages",
        "",
        "Each stage runs in a process of its own; wall and CPU seconds of the stage's work only (imports and "
        "loading the previous stage's output excluded); peak RSS is the whole process's.",
        "",
        _md_table(STAGE_HEAD, stage_rows(info)),
    ]
    af = info.get("airflow")
    if af:
        tasks, tests, steps = airflow_rows(info)
        imp = af.get("dag_import", {})
        sample = af.get("sample_run", {})
        parts += [
            "",
            "### Airflow",
            "",
            import_text(imp),
            "",
            f"Sample run (`scripts/run-sample.sh 2020`, what `make run` runs, including `airflow db migrate` and "
            f"writing the sample): **{sample.get('wall_s')} s** wall, {sample.get('cpu_s')} s CPU, exit "
            f"{sample.get('returncode')}. Per task, from the metadata database's task_instance start/end:",
            "",
            _md_table(["task", "instances", "states", "sum s", "max s", "first start → last end s"], tasks),
            "",
            "One per-unit task instance, `airflow tasks test annual_disclosure_report <task> <run> --map-index 0` "
            "against the sample run (user+sys CPU of the process and its children):",
            "",
            _md_table(["task", "CPU s", "wall s", "exit"], tests),
            "",
            "One unit's wait → validate → accept as a plain process running the same domain calls as the "
            "three per-unit tasks (CPU s; `start_cpu` is the interpreter's start-up, `import` the domain "
            "package):",
            "",
            _md_table(["step", "CPU s"], steps),
        ]
    parts.append(END)
    return "\n".join(parts)


def write_markdown(info: dict, path: Path) -> None:
    """Replace the figures section of ``path`` (between the markers), keeping the hand-written notes."""
    block = markdown(info)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if START in text and END in text:
            text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
            path.write_text(text, encoding="utf-8")
            return
    path.write_text("# Benchmarks\n\n" + block + "\n", encoding="utf-8")
