"""Sign-in and sign-out pages.

`/login` offers both ways in: the identity provider (a link to `/oidc/authenticate`, which
starts the authorization-code flow with PKCE) and a local account form for administrators and
functional accounts. Failed local sign-ins are braked as the API's are. `/logout` signs out
with a POST (a GET shows the button), so no link or image elsewhere can sign anyone out; who
signed in through the provider is signed out there too (`logout.py`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    OIDCLogoutView,
)
from rest_framework.exceptions import Throttled

from catalogue.api.users import throttle
from portal.pages.common import error_page

from . import provider
from .logout import ID_TOKEN_KEY


def safe_next(request, value: str) -> str:
    """`value` when it points into this site, else the default landing page."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LocalLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The user name or the password is wrong.",
    }


def _render_login(request, form, *, status: int = 200):
    next_url = request.POST.get("next") or request.GET.get("next", "")
    context = {
        "form": form,
        "next": next_url,
        "oidc_enabled": provider.oidc_enabled(),
        "provider_name": provider.provider_name(),
        "oidc_url": reverse("portal:oidc-login")
        + ("?" + urlencode({"next": next_url}) if safe_next(request, next_url) == next_url else ""),
    }
    return render(request, "portal/login.html", context, status=status)


@never_cache
@sensitive_post_parameters("password")
def login_page(request):
    if request.method == "POST":
        form = LocalLoginForm(request, data=request.POST)
        username = request.POST.get("username", "")[:150]
        try:
            throttle.check(request, username)
        except Throttled:
            messages.error(
                request, "Too many failed sign-ins from here; try again in a few minutes."
            )
            return _render_login(request, LocalLoginForm(request), status=429)
        if form.is_valid():
            throttle.record_success(request, username)
            auth.login(request, form.get_user())
            return HttpResponseRedirect(safe_next(request, request.POST.get("next", "")))
        throttle.record_failure(request, username)
        return _render_login(request, form, status=400)
    return _render_login(request, LocalLoginForm(request))


class SignOut(OIDCLogoutView):
    """POST signs out; for a user who signed in through the provider the browser then goes to
    the provider's end-session endpoint (`logout.provider_logout_url`, named by
    OIDC_OP_LOGOUT_URL_METHOD), which sends it back to the search page."""

    get_settings = staticmethod(provider.oidc_setting)

    def get(self, request):
        return render(request, "portal/account/logout.html")


logout_page = never_cache(SignOut.as_view())


class OIDCLoginStart(OIDCAuthenticationRequestView):
    """Redirects to the provider with state, nonce and a PKCE code challenge (S256)."""

    get_settings = staticmethod(provider.oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not provider.oidc_enabled():
            return error_page(
                request, 404, "Sign-in through an identity provider is not set up here."
            )
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
            self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        except (provider.ProviderUnavailable, ImproperlyConfigured):
            return error_page(
                request, 503, f"{provider.provider_name()} cannot be reached; try again later."
            )
        return super().get(request)


class OIDCLoginCallback(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code; the backend redeems it."""

    get_settings = staticmethod(provider.oidc_setting)

    def login_success(self):
        # Signing in as someone else than the session's user starts a new session; the ID
        # token stored a moment ago (the hint for signing out at the provider) must survive.
        id_token = self.request.session.get(ID_TOKEN_KEY)
        response = super().login_success()
        if id_token:
            self.request.session[ID_TOKEN_KEY] = id_token
        return response

    def login_failure(self):
        messages.error(
            self.request,
            f"Signing in through {provider.provider_name()} did not work. Try again, or use a "
            "local account.",
        )
        return HttpResponseRedirect(reverse("portal:login"))
