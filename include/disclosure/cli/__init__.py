"""The ``disclosure`` command. Each subcommand lives in its own module ``disclosure.cli.<name>`` exposing a
click command called ``command``; modules are imported only when their subcommand runs, so ``--help`` is fast.

Exit codes, for every subcommand: 0 success; 1 the data has errors (findings); 2 a file cannot be used at all
or the usage is wrong.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

import click

#: subcommand -> one-line help (shown without importing the module)
SUBCOMMANDS: dict[str, str] = {
    "template": "写出单位填报模板 (write fill-in templates)",
    "sample": "生成示例填报数据 (write the sample units' filled returns)",
    "read": "读取填报表并输出数据 (read a return, print its figures)",
    "validate": "校验填报表 (validate returns with Great Expectations)",
    "accept": "校验并入库 (validate and store returns)",
    "consolidate": "汇总全局数据 (sum the accepted returns into bureau totals)",
    "report": "生成年度报告 (render the annual report)",
    "provenance": "查询汇总数据来源 (where a total comes from)",
    "status": "查看填报进度 (units' status for a year)",
    "submissions": "某单位的全部报送记录 (every file a unit sent, which one is current)",
    "secret-key": "本局密钥：生成、轮换 (the bureau's secret key: ensure, rotate)",
    "links": "各单位专属填报链接：列出、作废、重发 (units' portal links: list, revoke, reissue)",
    "portal": "启动单位填报平台 (serve the units' portal)",
}


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context):
        """Every subcommand: a domain or infrastructure error is a message and exit code 2, never a traceback
        (``DISCLOSURE_DEBUG=1`` shows it)."""
        from disclosure.errors import DisclosureError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except DisclosureError as exc:
            if os.environ.get("DISCLOSURE_DEBUG"):
                raise
            click.echo(f"错误：{exc}", err=True)
            ctx.exit(2)
        except Exception as exc:
            if os.environ.get("DISCLOSURE_DEBUG"):
                raise
            click.echo(f"错误（{type(exc).__name__}）：{exc}", err=True)
            ctx.exit(2)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in SUBCOMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS or not _available(cmd_name):
            return None
        module = importlib.import_module(f"disclosure.cli.{_module(cmd_name)}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module(name: str) -> str:
    return name.replace("-", "_")


def _available(name: str) -> bool:
    return importlib.util.find_spec(f"disclosure.cli.{_module(name)}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="disclosure")
def main() -> None:
    """政府信息公开工作年度报告：模板、校验、汇总与报告生成。

    Annual government information disclosure report: templates, validation, consolidation, rendering.
    """
