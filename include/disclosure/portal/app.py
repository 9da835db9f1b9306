"""The units' portal: a small web service where each unit opens its personal link, downloads its template,
uploads its return and sees the verdict at once. Units have no accounts: the link is the credential.

Routes (``<token>`` is the unit's link token, :mod:`disclosure.portal.tokens`):

- ``GET /u/<token>``: the unit's page: year, deadline, template, every file it has sent with state and time,
  the verdict of the chosen (default: latest) submission with its findings, and the upload form;
- ``GET /u/<token>/template``: the unit's fill-in template, written by the template writer;
- ``POST /u/<token>/upload``: multipart, field ``file`` plus the form's CSRF token; answered with a redirect
  to the page showing the verdict (post/redirect/get: reloading never uploads twice);
- ``GET /u/<token>/feedback/<submission>``: the feedback workbook of one of the unit's submissions;
- ``GET /healthz``, ``GET /static/portal.css``, and ``GET /`` (a page saying to use the emailed link).

Every request with a bad, expired, forged or revoked token gets the same 403 page and changes nothing. Plain
HTML forms, no script (the CSP forbids any), one small stylesheet served from here: it works in old browsers
and on phones without fetching anything from the internet.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from disclosure.errors import LinkError, SettingsError
from disclosure.portal import audit, csrf
from disclosure.portal.links import UNIT_PATH, authenticate
from disclosure.portal.ratelimit import LinkLimiter
from disclosure.portal.receive import check_upload, feedback_file
from disclosure.portal.tokens import LinkClaims
from disclosure.portal.uploads import BadForm, BodyTooLarge, receive_upload
from disclosure.registry import Registry, load_registry
from disclosure.settings import Settings, get_settings
from disclosure.store import Store, SubmissionInfo

log = logging.getLogger(__name__)

TEMPLATES = "portal"
#: The one stylesheet (``templates/portal/portal.css``); everything else is HTML.
STYLESHEET = "portal.css"
SECURITY_HEADERS = {
    # No script at all, nothing from elsewhere; the form posts only here; no page may frame this one.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The link is the credential: never send it to another site as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class Portal:
    """What the portal process holds: the settings, the registry, the store, the limiter."""

    settings: Settings
    registry: Registry
    store: Store
    limiter: LinkLimiter

    def keys(self) -> tuple[str, ...]:
        return self.settings.secret_keys  # read per request: a rotated key takes effect at once

    def claims(self, token: str) -> LinkClaims:
        return authenticate(
            self.store,
            token,
            keys=self.keys(),
            grace=self.settings.portal_grace,
            units=self.registry.reporting_codes(),
        )


def beijing(moment: datetime | None) -> str:
    """A timestamp as the unit reads it, labelled: «2021-01-10 14:03（北京时间）»."""
    if moment is None:
        return "—"
    from disclosure.workflow.calendar import BUREAU_TZ

    return moment.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def _render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    from disclosure.report.environment import get_environment

    html = get_environment().get_template(f"{TEMPLATES}/{name}").render(beijing=beijing, **context)
    return HTMLResponse(html, status_code=status_code)


def _forbidden() -> HTMLResponse:
    # One answer for every kind of bad link: it tells a prober nothing.
    return _render("forbidden.html.j2", 403)


def _too_many() -> HTMLResponse:
    return _render("too_many.html.j2", 429)


def _unit(registry: Registry, code: str):
    """The registry entry of a reporting unit (the bureau too, when it reports its own return)."""
    return registry.bureau if code == registry.bureau.code else registry.unit(code)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def create_app(portal: Portal | None = None) -> FastAPI:
    """The portal's ASGI app; ``portal`` defaults to the configured settings, registry and store (migrated)."""
    if portal is None:
        settings = get_settings()
        store = Store.from_settings(settings)
        store.upgrade()
        portal = Portal(settings, load_registry(settings.units_file), store, LinkLimiter.from_env())
    app = FastAPI(title="单位填报平台", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        return _render("home.html.j2", bureau=portal.registry.bureau)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/static/portal.css")
    def stylesheet() -> Response:
        from disclosure.report.environment import templates_dir

        css = (templates_dir() / TEMPLATES / STYLESHEET).read_text(encoding="utf-8")
        return Response(css, media_type="text/css; charset=utf-8")

    def _gate(token: str) -> LinkClaims | Response:
        """The link's claims, or the response that ends the request (rate limited, or 403)."""
        if not portal.limiter.allow_request(csrf.link_digest(token)):
            return _too_many()
        try:
            return portal.claims(token)
        except (LinkError, SettingsError) as exc:
            log.info("portal link refused (%s): %s", csrf.link_digest(token)[:8], exc)
            return _forbidden()

    def _page(
        token: str, claims: LinkClaims, *, chosen: int | None = None, error: str = "", status_code: int = 200
    ) -> HTMLResponse:
        registry, store = portal.registry, portal.store
        sent = _sent(claims)
        mine = {s.id for s in sent}
        shown: SubmissionInfo | None = None
        if chosen is not None and chosen in mine:
            shown = store.submission(chosen)
        elif chosen is None and sent:
            shown = sent[0]
        validation = store.latest_validation(shown.id) if shown is not None else None
        feedback = shown is not None and feedback_file(portal.settings, claims.year, shown.id) is not None
        return _render(
            "unit.html.j2",
            status_code,
            token=token,
            unit=_unit(registry, claims.unit),
            bureau=registry.bureau,
            year=claims.year,
            deadline=claims.deadline,
            expires=claims.expires_at(portal.settings.portal_grace),
            submissions=sent,
            shown=shown,
            validation=validation,
            feedback=feedback,
            error=error,
            csrf_field=csrf.FIELD,
            csrf_token=csrf.form_token(token, portal.keys()),
            max_mb=f"{portal.settings.limits.max_file_bytes / 1024 / 1024:.0f}",
        )

    def _sent(claims: LinkClaims) -> list[SubmissionInfo]:
        """Every file of the unit for the year, whichever receiver got it, newest first (a file sent through
        its link is filed under it, whatever the file claims)."""
        return list(reversed(portal.store.submissions(claims.year, claims.unit)))

    @app.get(UNIT_PATH + "{token}", response_class=HTMLResponse)
    def unit_page(token: str, s: int | None = None) -> Response:
        claims = _gate(token)
        if isinstance(claims, Response):
            return claims
        return _page(token, claims, chosen=s)

    @app.get(UNIT_PATH + "{token}/template")
    def template(token: str) -> Response:
        claims = _gate(token)
        if isinstance(claims, Response):
            return claims
        from disclosure.formats import spec_for_year
        from disclosure.workbook.template import write_templates

        folder = Path(tempfile.mkdtemp(prefix="portal-template-"))
        unit = _unit(portal.registry, claims.unit)
        [path] = write_templates(spec_for_year(claims.year), claims.year, [unit], folder)
        return FileResponse(
            path,
            filename=path.name,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        )

    @app.get(UNIT_PATH + "{token}/feedback/{submission_id}")
    def feedback(token: str, submission_id: int) -> Response:
        claims = _gate(token)
        if isinstance(claims, Response):
            return claims
        mine = {s.id for s in _sent(claims)}
        path = feedback_file(portal.settings, claims.year, submission_id) if submission_id in mine else None
        if path is None:
            return _render("not_found.html.j2", 404)
        return FileResponse(
            path,
            filename=f"{claims.year}_{claims.unit}_校验结果_{submission_id}.xlsx",
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    @app.post(UNIT_PATH + "{token}/upload")
    async def upload(token: str, request: Request) -> Response:
        claims = _gate(token)
        if isinstance(claims, Response):
            return claims
        if not portal.limiter.allow_upload(csrf.link_digest(token)):
            return _too_many()
        limits = portal.settings.limits
        refused = {"year": claims.year, "unit": claims.unit, "generation": claims.generation}
        event = {**refused, "actor": audit.LINK_ACTOR, "client": _client(request)}
        folder = Path(tempfile.mkdtemp(prefix="portal-upload-"))
        try:
            try:
                received = await receive_upload(request, folder, limits.max_file_bytes)
            except BodyTooLarge as exc:
                from disclosure.workbook.guards import file_too_large

                message = file_too_large(exc.name or "上传的文件", exc.size, limits).message
                audit.record(portal.store, action=audit.Action.UPLOAD_REFUSED, detail=message, **event)
                return _page(token, claims, error=message, status_code=413)
            except BadForm:
                return _page(
                    token,
                    claims,
                    error="请先选择要上传的填报表文件（.xlsx），再点击“上传并校验”。",
                    status_code=400,
                )
            if not csrf.form_token_valid(received.fields.get(csrf.FIELD), token, portal.keys()):
                message = "页面已过期，请刷新本页后重新上传。"
                audit.record(portal.store, action=audit.Action.UPLOAD_REFUSED, detail="表单令牌无效", **event)
                return _page(token, claims, error=message, status_code=403)
            verdict = await _in_thread(
                check_upload,
                received.path,
                original_name=received.name,
                unit=claims.unit,
                year=claims.year,
                store=portal.store,
                registry=portal.registry,
                settings=portal.settings,
            )
            state = verdict.status.label
            audit.record(
                portal.store,
                action=audit.Action.UPLOAD,
                submission_id=verdict.id,
                detail=f"{received.name}（{received.size} 字节）：{state}，错误 {verdict.errors}，提示 {verdict.warnings}",
                **event,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return RedirectResponse(f"{UNIT_PATH}{token}?s={verdict.id}#verdict", status_code=303)

    return app


async def _in_thread(func, *args, **kwargs):
    """Run the check off the event loop: one unit's check never stalls another unit's page."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args, **kwargs)
