"""The report as PDF, converted from the .docx by LibreOffice when it is installed (optional: without it the
other formats are written and the PDF is skipped, with a note in the log).

Fonts: the document names the official fonts; :file:`fonts.conf` lets LibreOffice use them where installed,
then their Windows names, then free CJK fonts (Noto CJK, AR PL UKai), so a server without the bureau's fonts
still prints the report in the same typographic roles.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from disclosure.errors import ReportError

log = logging.getLogger(__name__)

FONTS_CONF = Path(__file__).resolve().parent / "fonts.conf"
#: seconds: a 10-page report converts in a few seconds; a hung office process must not hold the task
TIMEOUT = 300


def office_binary() -> str | None:
    """LibreOffice's command (``DISCLOSURE_SOFFICE``, else ``soffice`` or ``libreoffice`` on the PATH)."""
    configured = os.environ.get("DISCLOSURE_SOFFICE")
    if configured:
        return configured
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(source: Path, out_dir: Path | None = None) -> Path:
    """Convert ``source`` (.docx, .xlsx) to ``<out_dir>/<stem>.pdf`` with LibreOffice; raises ReportError when
    LibreOffice is missing or fails. Each conversion uses its own LibreOffice profile, so conversions may run
    side by side (mapped tasks, tests)."""
    office = office_binary()
    if office is None:
        raise ReportError("未安装 LibreOffice（soffice），无法生成 PDF")
    source = Path(source)
    out_dir = Path(out_dir or source.parent)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="disclosure-soffice-") as profile:
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF), "HOME": profile}
        command = [
            office,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            profile,
            str(source),
        ]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"LibreOffice 转换 {source.name} 为 PDF 失败：{exc}") from exc
        produced = Path(profile) / f"{source.stem}.pdf"
        if done.returncode != 0 or not produced.is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["无输出"]
            raise ReportError(f"LibreOffice 转换 {source.name} 为 PDF 失败：{detail[0]}")
        target = out_dir / produced.name
        shutil.move(produced, target)
    return target


def write_pdf(docx: Path) -> Path | None:
    """The report's PDF next to its .docx, or None when LibreOffice is not installed (it is optional)."""
    if office_binary() is None:
        log.info("未安装 LibreOffice：跳过 PDF（其余格式已生成）")
        return None
    return convert_to_pdf(docx)
