"""Load and validate the unit registry file (see ``sample-units.yaml`` for the shape)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator

from disclosure.errors import RegistryError

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Unit(_Model):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=2)
    short_name: str = ""  # shown in the Airflow grid; defaults to the name
    contact: str = Field(min_length=1)
    phone: str = ""
    email: EmailStr

    @property
    def display(self) -> str:
        """How the unit appears in task instance names, e.g. «U05 水文环境地质调查院»."""
        return f"{self.code} {self.short_name or self.name}"


class Bureau(_Model):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=2)
    short_name: str = ""  # how the report names itself, e.g. 自治区地质局
    office: str = ""  # the office that compiles the report, e.g. 自治区地质局办公室
    website: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    admin_email: str = ""  # who is notified
    reports_own_return: bool = False  # the bureau office also files a return that is summed with the units'
    # 现行有效件数 is a stock: "sum" adds the units' figures (default); "bureau" takes the bureau office's own
    # return (needs reports_own_return), because rules that apply bureau-wide would otherwise be double-counted.
    in_force_consolidation: str = Field(default="sum", pattern="^(bureau|sum)$")

    @model_validator(mode="after")
    def _stock_source(self) -> Bureau:
        if self.in_force_consolidation == "bureau" and not self.reports_own_return:
            raise ValueError("in_force_consolidation 'bureau' needs reports_own_return: true")
        return self


class Registry(_Model):
    sample: bool = False
    bureau: Bureau
    units: tuple[Unit, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> Registry:
        codes = [u.code for u in self.units] + [self.bureau.code]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"duplicate unit codes: {', '.join(dupes)}")
        return self

    def unit(self, code: str) -> Unit:
        for u in self.units:
            if u.code == code:
                return u
        raise RegistryError(f"单位代码 {code!r} 不在单位名册中（名册共 {len(self.units)} 个单位）")

    @property
    def codes(self) -> list[str]:
        return [u.code for u in self.units]

    def reporting_codes(self) -> list[str]:
        """Units whose returns are summed: the subordinate units, plus the bureau when it reports itself."""
        return [*self.codes, self.bureau.code] if self.bureau.reports_own_return else self.codes


def load_registry(path: Path | None = None) -> Registry:
    if path is None:
        from disclosure.settings import get_settings

        path = get_settings().units_file
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read unit registry {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"unit registry {path} is not valid YAML: {exc}") from exc
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()
        )
        raise RegistryError(f"unit registry {path} is invalid: {details}") from exc
