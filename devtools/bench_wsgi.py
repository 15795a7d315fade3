"""The production WSGI application with two measuring response headers, for the page benchmark only.

    X-Bench-Queries    SQL statements the request ran
    X-Bench-Server-Ms  time from the request reaching Django to the response being ready

gunicorn serves this module only when `manage.py bench_pages` starts it; the app itself never adds these headers.
"""

from __future__ import annotations

import time

from django.db import connections

from infusion_center.wsgi import application as django_application


def application(environ, start_response):
    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    databases = list(connections.all())
    for database in databases:
        database.execute_wrappers.append(counting)
    started = time.perf_counter()

    def measured_start_response(status, headers, exc_info=None):
        elapsed_ms = (time.perf_counter() - started) * 1000
        headers = [*headers, ("X-Bench-Queries", str(count)), ("X-Bench-Server-Ms", f"{elapsed_ms:.2f}")]
        return start_response(status, headers, exc_info)

    try:
        return django_application(environ, measured_start_response)
    finally:
        for database in databases:
            database.execute_wrappers.remove(counting)
