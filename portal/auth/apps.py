from django.apps import AppConfig


class PortalAuthConfig(AppConfig):
    name = "portal.auth"
    label = "portal_auth"  # "auth" is django.contrib.auth's
    verbose_name = "Sign-in"
    default_auto_field = "django.db.models.BigAutoField"
