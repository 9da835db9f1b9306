"""The units' portal: each reporting unit opens its personal link, downloads its template, uploads its return
and sees the verdict at once. A small web service of its own (FastAPI served by uvicorn), never part of the
Airflow UI: units have no Airflow accounts.

Modules, one concept each: ``tokens`` (the signed link token), ``links`` (link generations in the store:
issue, revoke, re-issue, authenticate), ``records`` (the portal's tables), ``audit`` (the audit log),
``csrf`` (the upload form's token), ``ratelimit`` (per-link limits), ``uploads`` (reading an upload within the
size limit), ``receive`` (the one road from an upload into the intake), ``app`` (the pages), ``server``
(uvicorn, log redaction, warm-up).
"""
