"""A health check endpoint for load balancers and deployment probes."""

import os

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def _app_version():
    return os.environ.get("DJANGO_APP_VERSION") or str(getattr(settings, "APP_VERSION", "") or "unknown")


@require_GET
def healthz(request):
    """Report whether the app can reach its database.

    Answers 200 with the app version when ``SELECT 1`` works, 503 otherwise.
    Needs no login and touches neither the session nor any cookie.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "unhealthy"
        response = JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    else:
        response = JsonResponse({"status": "ok", "database": "ok", "version": _app_version()})
    response["Cache-Control"] = "no-store"
    return response
