from relay.pages.views import urlpatterns

__all__ = ["urlpatterns"]
