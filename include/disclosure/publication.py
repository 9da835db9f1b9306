"""Publishing the approved report to ``publish/<year>/``, one revision at a time.

The newest revision's files are at the top of the year's folder (where readers and links expect them), with
``revisions.json`` (every revision: its number, the consolidation run it shows, when, its files and what it
changed). When a report already published changes (a unit's correction after publication), the earlier
revision's files move to ``第<n>版/`` in the same folder, so nothing published is lost, and the new revision
comes with ``修订说明.txt``: the list of totals that changed since the previous revision and which unit changed
them. Publishing the same totals again (a re-run) rewrites the current revision, not a new one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from disclosure.formats.model import FormatSpec
from disclosure.registry import Registry
from disclosure.store import Store

MANIFEST = "revisions.json"
CHANGE_NOTE = "修订说明.txt"


@dataclass
class Revision:
    revision: int
    run: int  # the consolidation run whose totals the files show
    published_at: str
    files: list[str]
    changes: list[str] = field(default_factory=list)  # «U07 更正：…», since the previous revision


def revisions(folder: Path) -> list[Revision]:
    """The revisions published in a year's folder, oldest first (none before the first publication)."""
    path = folder / MANIFEST
    if not path.exists():
        return []
    return [Revision(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]


def revision_folder(folder: Path, revision: int) -> Path:
    return folder / f"第{revision}版"


def publish_revision(
    year: int,
    files: Iterable[Path],
    *,
    run_id: int,
    folder: Path,
    store: Store,
    registry: Registry,
    spec: FormatSpec,
) -> tuple[Revision, list[Path]]:
    """Copy the report files of consolidation run ``run_id`` into ``folder`` as a new revision when its totals
    differ from the published ones (the earlier revision kept in ``第<n>版/``), else as the current revision
    again. Returns the revision and the published paths."""
    from disclosure.total_changes import total_changes

    files = sorted({Path(p) for p in files})
    folder.mkdir(parents=True, exist_ok=True)
    history = revisions(folder)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    names = [p.name for p in files]
    last = history[-1] if history else None
    changes = (
        total_changes(year, store, registry, spec, run_id=run_id, since_run_id=last.run)
        if last is not None and last.run != run_id
        else []
    )
    if last is not None and not changes:
        # The same totals: the current revision again (a re-run), under the newest run.
        _remove(folder, [n for n in last.files if n not in names])
        current = Revision(last.revision, run_id, now, names, last.changes)
        history[-1] = current
    else:
        if last is not None:
            archive = revision_folder(folder, last.revision)
            archive.mkdir(exist_ok=True)
            for name in [*last.files, CHANGE_NOTE]:
                if (folder / name).exists():
                    shutil.move(folder / name, archive / name)
        current = Revision(
            revision=last.revision + 1 if last else 1,
            run=run_id,
            published_at=now,
            files=names,
            changes=[c.message for c in changes],
        )
        history.append(current)
    published = []
    for path in files:
        target = folder / path.name
        shutil.copy2(path, target)
        published.append(target)
    if current.changes:
        note = folder / CHANGE_NOTE
        note.write_text(_change_note(year, current), encoding="utf-8")
        published.append(note)
    (folder / MANIFEST).write_text(
        json.dumps([asdict(r) for r in history], ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return current, published


def _change_note(year: int, revision: Revision) -> str:
    lines = [
        f"{year}年度政府信息公开工作年度报告 第{revision.revision}版 修订说明",
        f"发布时间：{revision.published_at}",
        f"与第{revision.revision - 1}版相比，以下汇总数据有变化：",
        *(f"  {message}" for message in revision.changes),
    ]
    return "\n".join(lines) + "\n"


def _remove(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        (folder / name).unlink(missing_ok=True)
