"""Routes (being written)."""

urlpatterns = []
