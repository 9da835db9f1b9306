"""Who may see the status page and who may re-run a unit: Airflow's own login, checked on every request.

Plugin FastAPI apps are mounted without any authentication, so every route here depends on one of the
dependencies below. The user comes from the same JWT the Airflow UI uses (the ``_token`` cookie, or an
``Authorization: Bearer`` header for API clients); the permission is the auth manager's answer for the yearly
DAG's task instances: reading them to see the page, editing them (PUT) to re-run a unit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN, ResourceMethod
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.core_api.security import bearer_scheme, get_user
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from disclosure_status.config import dag_id


def _authorized(method: ResourceMethod) -> Callable[..., BaseUser]:
    def dependency(user: Annotated[BaseUser, Depends(get_user)]) -> BaseUser:
        allowed = get_auth_manager().is_authorized_dag(
            method=method,
            access_entity=DagAccessEntity.TASK_INSTANCE,
            details=DagDetails(id=dag_id()),
            user=user,
        )
        if not allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "无权访问年报填报进度（需要该 DAG 任务实例的权限）"
            )
        return user

    return dependency


#: the logged-in user, allowed to read the yearly DAG's task instances
Reader = Annotated[BaseUser, Depends(_authorized("GET"))]
#: the logged-in user, allowed to clear (re-run) the yearly DAG's task instances
Operator = Annotated[BaseUser, Depends(_authorized("PUT"))]


def request_token(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    """The caller's own JWT, forwarded to Airflow's REST API so it acts with exactly their permissions."""
    if bearer and bearer.scheme.lower() == "bearer":
        return bearer.credentials
    token = request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    if not token:  # unreachable behind Reader/Operator, kept so the dependency is safe on its own
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Not authenticated")
    return token


Token = Annotated[str, Depends(request_token)]
