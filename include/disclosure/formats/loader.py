"""Load format specs from ``specs/<version>.yaml`` and choose one by report year.

A new format version is a new YAML file in ``specs/`` (or in ``DISCLOSURE_SPECS_DIR``): no code changes.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from disclosure.errors import SpecError
from disclosure.formats.model import FormatSpec

BUNDLED_SPECS_DIR = Path(__file__).resolve().parent / "specs"


def _spec_dirs() -> list[Path]:
    extra = os.environ.get("DISCLOSURE_SPECS_DIR")
    return [Path(extra)] if extra else [BUNDLED_SPECS_DIR]


def _spec_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for folder in _spec_dirs():
        for path in sorted(folder.glob("*.yaml")):
            files[path.stem] = path
    return files


def available_versions() -> list[str]:
    return sorted(_spec_files())


@cache
def _load_file(path: Path) -> FormatSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = FormatSpec.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise SpecError(f"format spec {path} is invalid: {exc}") from exc
    if spec.version != path.stem:
        raise SpecError(
            f"format spec {path} declares version {spec.version!r}; the file must be named after it"
        )
    return spec


def load_spec(version: str) -> FormatSpec:
    files = _spec_files()
    if version not in files:
        raise SpecError(f"unknown format version {version!r}; available: {', '.join(sorted(files))}")
    return _load_file(files[version])


def version_for_year(year: int) -> str:
    """The version in force for a report year: the spec whose [first_year, last_year] contains it."""
    candidates = []
    for version in available_versions():
        spec = load_spec(version)
        if spec.first_year <= year and (spec.last_year is None or year <= spec.last_year):
            candidates.append(spec)
    if not candidates:
        raise SpecError(f"no format version covers report year {year}")
    # Several open-ended versions: the newest one that has started wins.
    return max(candidates, key=lambda s: s.first_year).version


def spec_for_year(year: int, override: str | None = None) -> FormatSpec:
    return load_spec(override) if override else load_spec(version_for_year(year))
