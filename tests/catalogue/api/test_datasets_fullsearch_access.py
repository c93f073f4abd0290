"""The access suite (test_datasets_access.py) again, answered by the search engine: who finds,
counts and facets what through fullquery and fullfacet must not change when the index answers.
"""

import pytest

from . import test_datasets_access as access_suite
from .test_datasets_fullsearch import engine_answers, indexed, indexed_world  # noqa: F401
from .test_datasets_helpers import group_settings  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db

globals().update({n: getattr(access_suite, n) for n in dir(access_suite) if n.startswith("test_")})


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, indexed):  # noqa: F811
    yield from indexed_world(access_suite, django_db_setup, django_db_blocker)
