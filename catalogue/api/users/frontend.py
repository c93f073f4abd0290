"""GET /admin/config and /admin/theme: what the SciCat frontend loads when it starts.

The frontend takes the whole configuration from /admin/config when that answers, so a site that
runs it writes its configuration to a JSON file (FRONTEND_CONFIG_FILE, as upstream); without one
this answers the few facts fedcat itself knows. /admin/theme serves FRONTEND_THEME_FILE, and
without one answers 404, on which the frontend falls back to its bundled theme (upstream answers
an empty body, which the frontend cannot read).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.errors import NotFound

log = logging.getLogger(__name__)


def read_json_file(setting: str) -> dict | None:
    """The JSON object in the file the setting names; None (and a logged error) if unreadable."""
    path = getattr(settings, setting, "")
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.error("%s=%s cannot be read: %s", setting, path, exc)
        return None
    if not isinstance(data, dict):
        log.error("%s=%s does not hold a JSON object", setting, path)
        return None
    return data


def upload_limit() -> str:
    return f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)}mb"


def frontend_config(request) -> dict:
    config = {
        "accessTokenPrefix": "Bearer ",
        "facility": getattr(settings, "FACILITY", "") or None,
        "lbBaseURL": request.build_absolute_uri("/").rstrip("/"),
        # Local accounts sign in at POST /api/v3/auth/login; there is no LDAP or facility login.
        "loginFormEnabled": True,
        "loginLocalEnabled": True,
        "loginLdapEnabled": False,
        "loginFacilityEnabled": False,
    }
    config.update(read_json_file("FRONTEND_CONFIG_FILE") or {})
    # As upstream, the body limit always comes from the server's own setting.
    config["maxFileUploadSizeInMb"] = upload_limit()
    return config


class FrontendConfigView(APIView):
    def get(self, request):
        return Response(frontend_config(request))


class FrontendThemeView(APIView):
    def get(self, request):
        theme = read_json_file("FRONTEND_THEME_FILE")
        if theme is None:
            raise NotFound("no frontend theme is configured (FRONTEND_THEME_FILE)")
        return Response(theme)
