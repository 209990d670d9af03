"""URL configuration of the polls project."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from mysite.health import healthz

admin.site.site_header = "Polls administration"
admin.site.site_title = "Polls administration"
admin.site.index_title = "Site administration"

urlpatterns = [
    path("", RedirectView.as_view(url="/polls/", permanent=False)),
    path("polls/", include("polls.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
