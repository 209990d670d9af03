"""A health check endpoint for load balancers and deployment probes."""

import logging
import os

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _app_version():
    return os.environ.get("DJANGO_APP_VERSION") or str(getattr(settings, "APP_VERSION", "") or "unknown")


@require_GET
def healthz(request):
    """Report whether the app can reach its database.

    Answers 200 with the app version when ``SELECT 1`` works, 503 otherwise.
    Needs no login and touches neither the session nor any cookie. The
    answer is public: why the database failed goes to the log, not to it.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "unhealthy"
        logger.exception("health check: the database query failed")
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    else:
        response = JsonResponse({"status": "ok", "database": "ok", "version": _app_version()})
    response["Cache-Control"] = "no-store"
    return response
