"""The SciCat API as clients call it: DRF's APIClient with a Bearer token from `token_issue`."""

from __future__ import annotations

from rest_framework.test import APIClient

from catalogue.services.tokens import token_issue


def client_for(user=None) -> APIClient:
    """A client signed in as `user` with a Bearer token; anonymous for None."""
    client = APIClient()
    if user is not None:
        raw, _ = token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client
