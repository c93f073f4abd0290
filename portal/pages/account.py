"""The account page: who you are here, your groups, and your API tokens.

Tokens are for ingestors and scripts (`Authorization: Bearer <token>` on the SciCat API and on
downloads). A new token is shown once, in the answer to the POST that made it, and never
stored in clear (only its hash); a token can be revoked at any time. Every token of the user is
listed, including those the API issued at `POST /api/v3/auth/login`.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from catalogue.access import principal_for
from catalogue.errors import InvalidInput
from catalogue.models import ApiToken
from catalogue.services.tokens import token_issue, tokens_revoke

DAY = 24 * 3600
LIFETIMES = [(30, "30 days"), (90, "90 days"), (365, "1 year"), (730, "2 years")]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Name",
        help_text="What the token is for, e.g. the ingestor of beamline P05.",
    )
    days = forms.TypedChoiceField(coerce=int, label="Valid for", initial=90)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_MAX_TTL_SECONDS // DAY
        choices = [(days, label) for days, label in LIFETIMES if days <= longest]
        if not choices:
            choices = [(max(longest, 1), f"{max(longest, 1)} days")]
        self.fields["days"].choices = choices


def _context(request, form, new_token: str = "") -> dict:
    user = request.user
    principal = principal_for(user)
    identity = getattr(user, "oidc_identity", None)  # None for local accounts
    return {
        "form": form,
        "new_token": new_token,
        "tokens": ApiToken.objects.filter(user=user).order_by("-created_at"),
        "now": timezone.now(),
        "groups": sorted(principal.groups),
        "is_admin": principal.is_admin,
        "identity": identity,
    }


@never_cache
@login_required
def account_page(request):
    return render(request, "portal/account/account.html", _context(request, TokenForm()))


@never_cache
@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/account/account.html", _context(request, form), status=400)
    try:
        raw, _ = token_issue(
            user=request.user,
            ttl_seconds=int(timedelta(days=form.cleaned_data["days"]).total_seconds()),
            name=form.cleaned_data["name"],
        )
    except InvalidInput as exc:
        form.add_error("days", exc.message)
        return render(request, "portal/account/account.html", _context(request, form), status=400)
    # Shown in this answer only: no redirect, so the token is never kept in a session or a URL.
    response = render(
        request, "portal/account/account.html", _context(request, TokenForm(), new_token=raw)
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_POST
def token_revoke(request, token_id: int):
    mine = ApiToken.objects.filter(user=request.user, pk=token_id).values_list("pk", flat=True)
    if tokens_revoke(ids=list(mine)):
        messages.info(request, "The token is revoked; it no longer works.")
    else:
        messages.error(request, "There is no such token of yours (already revoked?).")
    return HttpResponseRedirect(reverse("portal:account") + "#tokens")
