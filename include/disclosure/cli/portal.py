"""``disclosure portal``: serve the units' portal (uvicorn, one process)."""

from __future__ import annotations

import click


@click.command(name="portal")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 (address to bind)")
@click.option("--port", type=int, default=8090, show_default=True, help="端口 (port)")
def command(host: str, port: int) -> None:
    """启动单位填报平台（各单位通过专属链接上传填报表并即时查看校验结果）。

    Serve the units' portal: each unit uploads its return through its own link and sees the findings at once.
    """
    from disclosure.errors import DisclosureError
    from disclosure.portal.server import serve
    from disclosure.secret_key import secret_keys
    from disclosure.settings import get_settings

    try:
        secret_keys(get_settings().data_dir)  # refuse to start without a key, with the set-up's message
    except DisclosureError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from exc
    serve(host, port)
