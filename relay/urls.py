from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("relay.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("relay.pages.urls")),
]

handler404 = "relay.pages.errors.not_found"
handler403 = "relay.pages.errors.forbidden"
handler500 = "relay.pages.errors.server_error"
