"""The headline figures of ``make bench`` (issue #14's table), written to ``docs/benchmarks.json``.

Every figure comes from measurements of the same run: the stage benchmark (with the python-calamine floor), the
DAG file's import, the sample run (``make run``) and the DAG run under the real LocalExecutor at each size.
The 1,000-unit run is measured when it was run, else estimated from the measured sizes by a straight line
(CPU and wall against the number of units) and marked ``"estimated": true`` with the sizes it rests on.
"""

from __future__ import annotations

import json
from pathlib import Path

#: issue #14's targets: figure -> (limit, unit)
TARGETS = {
    "unit_tasks_cpu_s": (1.5, "s CPU"),
    "dag_parse_ms_above_sdk": (50.0, "ms"),
    "sample_run_wall_s": (30.0, "s"),
    "run_1000_cpu_s": (150.0, "s CPU"),
    "run_1000_wall_s": (180.0, "s"),
    "read_validate_store_over_floor": (3.0, "×"),
    "store_ms_per_return_sqlite": (3.0, "ms CPU"),
    "store_ms_per_return_postgres": (8.0, "ms CPU"),
}


def _line(points: list[tuple[int, float]], x: int) -> float:
    """Least-squares straight line through ``points`` evaluated at ``x``."""
    n = len(points)
    mean_x = sum(p[0] for p in points) / n
    mean_y = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mean_x) ** 2 for p in points)
    slope = sum((p[0] - mean_x) * (p[1] - mean_y) for p in points) / sxx if sxx else 0.0
    return mean_y + slope * (x - mean_x)


def run_1000(runs: list[dict]) -> dict:
    """CPU and wall of the 1,000-unit DAG run: measured, or a straight-line estimate from the warm runs."""
    ok = [r for r in runs if r.get("warm") and r.get("state") == "success"]
    measured = [r for r in ok if r["units"] == 1000]
    if measured:
        r = measured[0]
        return {"cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "estimated": False}
    sizes = sorted({r["units"] for r in ok})
    if len(sizes) < 2:
        return {"cpu_s": None, "wall_s": None, "estimated": True, "from_units": sizes}
    return {
        "cpu_s": round(_line([(r["units"], r["cpu_s"]) for r in ok], 1000), 0),
        "wall_s": round(_line([(r["units"], r["wall_s"]) for r in ok], 1000), 0),
        "estimated": True,
        "from_units": sizes,
    }


def _stage_figures(stages: list[dict]) -> dict:
    by: dict[tuple[str, int], dict[str, dict]] = {}
    for s in stages:
        by.setdefault((s["format"], s["n"]), {})[s["stage"]] = s
    largest = max((n for _, n in by), default=0)
    ratio, sqlite, postgres = {}, {}, {}
    for (fmt, n), st in by.items():
        if n != largest:
            continue
        if all(k in st and "error" not in st[k] for k in ("floor", "read", "validate", "store")):
            work = sum(st[k]["cpu_s"] for k in ("read", "validate", "store"))
            wall = sum(st[k]["wall_s"] for k in ("read", "validate", "store"))
            ratio[fmt] = {
                "cpu": round(work / max(st["floor"]["cpu_s"], 1e-9), 1),
                "wall": round(wall / max(st["floor"]["wall_s"], 1e-9), 1),
            }
        if "store" in st and "error" not in st["store"]:
            sqlite[fmt] = round(st["store"]["cpu_s"] / n * 1000, 2)
        if "store_postgres" in st and "error" not in st["store_postgres"]:
            postgres[fmt] = round(st["store_postgres"]["cpu_s"] / n * 1000, 2)
    return {"returns": largest, "ratio": ratio, "sqlite": sqlite, "postgres": postgres}


def figures(info: dict) -> dict:
    """The headline figures of one ``make bench`` run, each with its target and how it was measured."""
    af = info.get("airflow") or {}
    runs = af.get("dag_runs") or []
    warm = sorted(
        (r for r in runs if r.get("warm") and r.get("state") == "success"), key=lambda r: r["units"]
    )
    cold = [r for r in runs if not r.get("warm") and r.get("state") == "success"]
    imp = af.get("dag_import") or {}
    stages = _stage_figures(info.get("stages", []))
    big = run_1000(runs)

    def worst(values: dict, key: str | None = None):
        picked = [v[key] if key else v for v in values.values()]
        return max(picked) if picked else None

    out = {
        "unit_tasks_cpu_s": warm[-1]["unit_tasks_cpu_s"] if warm else None,
        "dag_parse_ms_above_sdk": imp.get("warm_parent_dag_above_preload_cpu_ms"),
        "sample_run_wall_s": (af.get("sample_run") or {}).get("wall_s"),
        "run_1000_cpu_s": big["cpu_s"],
        "run_1000_wall_s": big["wall_s"],
        "read_validate_store_over_floor": worst(stages["ratio"], "cpu"),
        "store_ms_per_return_sqlite": worst(stages["sqlite"]),
        "store_ms_per_return_postgres": worst(stages["postgres"]),
    }
    notes = {
        "unit_tasks_cpu_s": (
            "CPU of one unit's task instances (wait_for_return, which receives the file since the intake, "
            "+ validate + accept; task process and its supervisor) under LocalExecutor with warm task "
            f"parents, {warm[-1]['units']}-unit run; of which the sensor: {warm[-1].get('unit_sensor_cpu_s')} s"
            if warm
            else "no warm DAG run"
        ),
        # per unit (batches of one) up to the chunk threshold, a unit's share of its batch's tasks above it
        "unit_tasks_cpu_s_warm": {r["units"]: r["unit_tasks_cpu_s"] for r in warm},
        "unit_tasks_cpu_s_cold": {r["units"]: r["unit_tasks_cpu_s"] for r in cold},
        "dag_parse_ms_above_sdk": (
            "median CPU ms to import the DAG file above what the warm DAG processor preloads (wall: "
            f"{imp.get('warm_parent_dag_above_preload_ms')} ms); in a fresh process above a bare "
            f"`import airflow.sdk`: {imp.get('dag_above_sdk_cpu_ms')} ms CPU, {imp.get('dag_above_sdk_ms')} ms "
            f"wall (a one-@task DAG file: {imp.get('baseline_dag_above_sdk_cpu_ms')} ms CPU)"
        ),
        "sample_run_wall_s": "scripts/run-sample.sh (make run: airflow dags test, in-process), wall",
        "run_1000": big,
        "read_validate_store_over_floor": {
            "returns": stages["returns"],
            "per_format": stages["ratio"],
            "what": "CPU of read + validate (one GX run) + store ÷ python-calamine reading the same files",
        },
        "store_ms_per_return": {"sqlite": stages["sqlite"], "postgres": stages["postgres"]},
        "dag_runs": [
            {k: r.get(k) for k in ("units", "warm", "state", "wall_s", "cpu_s", "unit_tasks_cpu_s")}
            for r in runs
        ],
    }
    verdicts = {}
    for key, (limit, unit) in TARGETS.items():
        value = out.get(key)
        verdicts[key] = {
            "limit": limit,
            "unit": unit,
            "value": value,
            "met": None if value is None else value <= limit,
        }
    return {
        "date": info.get("started"),
        "machine": info.get("machine"),
        **out,
        "targets": verdicts,
        "notes": notes,
    }


def write(info: dict, path: Path) -> dict:
    result = figures(info)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return result


def print_figures(result: dict) -> None:
    print("\nheadline figures (issue #14):")
    for key, verdict in result["targets"].items():
        value = verdict["value"]
        shown = "—" if value is None else f"{value:g}"
        mark = {True: "met", False: "MISSED", None: "—"}[verdict["met"]]
        extra = (
            " (estimate)" if key.startswith("run_1000") and result["notes"]["run_1000"]["estimated"] else ""
        )
        print(f"  {key:<34} {shown:>10} {verdict['unit']:<7} target ≤ {verdict['limit']:g}  {mark}{extra}")
