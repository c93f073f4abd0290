import json

from rest_framework.test import APIClient

from catalogue.models import Dataset
from catalogue.services.tokens import token_issue


def test_an_oversized_body_is_a_413_in_scicats_shape_and_writes_nothing(owner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    token, _ = token_issue(user=owner)
    body = {"ownerGroup": "p-owner", "description": "x" * 5000}

    response = APIClient().post(
        "/api/v3/Datasets",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 413
    assert response.json()["statusCode"] == 413
    assert "1000 bytes" in response.json()["message"]
    assert not Dataset.objects.exists()
