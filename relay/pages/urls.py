from relay.pages.notifications import urlpatterns as notification_pages
from relay.pages.views import urlpatterns as pages

urlpatterns = [*pages, *notification_pages]

__all__ = ["urlpatterns"]
