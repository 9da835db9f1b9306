"""``disclosure secret-key``: make sure the bureau has a secret key, or rotate it (see
:mod:`disclosure.secret_key`). Never prints a key."""

from __future__ import annotations

import click

from disclosure.errors import SettingsError


@click.command(name="secret-key")
@click.option(
    "--ensure", is_flag=True, help="未配置密钥时在数据目录生成 (generate one when none is configured)"
)
@click.option(
    "--rotate", is_flag=True, help="生成新密钥，旧密钥继续用于验证 (new key first, old ones still verify)"
)
def command(ensure: bool, rotate: bool) -> None:
    """检查本局密钥是否已配置；--ensure 生成，--rotate 轮换。

    Check that the bureau's secret key is configured; --ensure generates one into the data folder, --rotate
    puts a new key first in that file.
    """
    from disclosure.secret_key import SECRET_KEY_ENV, ensure_secret_key, rotate_secret_key
    from disclosure.settings import get_settings

    settings = get_settings()
    if ensure and rotate:
        raise click.UsageError("--ensure 与 --rotate 不能同时使用")
    if rotate:
        import os

        if os.environ.get(SECRET_KEY_ENV, "").strip():
            raise click.UsageError(
                f"密钥由环境变量 {SECRET_KEY_ENV} 配置：请在其配置处轮换（新密钥放在最前）"
            )
        path = rotate_secret_key(settings.data_dir)
        click.echo(f"已生成新密钥：{path}（共 {len(settings.secret_keys)} 个密钥，新密钥用于签名）")
        return
    if ensure:
        written = ensure_secret_key(settings.data_dir)
        if written is not None:
            click.echo(f"已生成本局密钥：{written}")
    try:
        keys = settings.secret_keys
    except SettingsError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from exc
    click.echo(f"本局密钥已配置（{len(keys)} 个，最新的用于签名）")
