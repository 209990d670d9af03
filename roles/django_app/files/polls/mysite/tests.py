# Django test cases use unittest-style assertions.
# ruff: noqa: PT009
import os
from unittest import mock

from django.db import DatabaseError
from django.test import SimpleTestCase, TestCase, override_settings


class HealthzTests(TestCase):
    def test_ok(self):
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("DJANGO_APP_VERSION", None)
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(response.json(), {"status": "ok", "database": "ok", "version": "unknown"})
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertFalse(response.cookies)

    @override_settings(APP_VERSION="1.2.3")
    def test_version_from_settings(self):
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("DJANGO_APP_VERSION", None)
            response = self.client.get("/healthz")
        self.assertEqual(response.json()["version"], "1.2.3")

    @override_settings(APP_VERSION="1.2.3")
    def test_version_from_environment_wins(self):
        with mock.patch.dict(os.environ, {"DJANGO_APP_VERSION": "abc123"}):
            response = self.client.get("/healthz")
        self.assertEqual(response.json()["version"], "abc123")

    def test_database_failure(self):
        with mock.patch("mysite.health.connection") as connection:
            connection.cursor.side_effect = DatabaseError("boom at db.internal:5432")
            with self.assertLogs("mysite.health", level="ERROR") as logged:
                response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        # Public answer: neither the exception's class nor its text.
        self.assertEqual(response.json(), {"status": "error", "database": "unavailable"})
        self.assertNotIn(b"DatabaseError", response.content)
        self.assertNotIn(b"db.internal", response.content)
        # The reason is in the log instead.
        self.assertIn("boom at db.internal:5432", "\n".join(logged.output))
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_get_only(self):
        response = self.client.post("/healthz")
        self.assertEqual(response.status_code, 405)

    def test_no_login_needed_and_no_redirect(self):
        response = self.client.get("/healthz", follow=False)
        self.assertEqual(response.status_code, 200)


class UrlTests(SimpleTestCase):
    def test_root_redirects_to_polls(self):
        response = self.client.get("/")
        self.assertRedirects(response, "/polls/", fetch_redirect_response=False, status_code=302)


class AdminTests(TestCase):
    def test_admin_shows_the_site_header(self):
        response = self.client.get("/admin/login/")
        self.assertContains(response, "Polls administration")
