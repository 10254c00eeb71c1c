from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("relay.accounts.views")),
    path("api/", include("relay.accounts.flows")),
    path("api/", include("relay.api.views")),
    path("admin/", admin.site.urls),
    path("", include("relay.pages.urls")),
]
