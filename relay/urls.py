from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("relay.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("relay.pages.urls")),
]
