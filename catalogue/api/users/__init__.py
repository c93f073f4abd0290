"""SciCat v3 API: sign-in, users, identities, tokens, and the frontend's configuration.

User ids are Django user primary keys, as strings. Fixed names (`users/my/self`, `users/jwt`)
come before `users/<id>`.
"""

from catalogue.api.routing import api_path

from .accounts import (
    CanCreateDatasetView,
    IngestorTokenView,
    MyIdentityView,
    MyselfView,
    MyTokenView,
    UserIdentityView,
    UserListView,
    UserView,
)
from .frontend import FrontendConfigView, FrontendThemeView
from .identities import IdentityFindOneView
from .sessions import LoginView, LogoutView, WhoAmIView

USER_ID = r"(?P<user_id>[^/]+)"


routes = [
    api_path("auth/login", LoginView.as_view()),
    api_path("auth/logout", LogoutView.as_view()),
    api_path("auth/whoami", WhoAmIView.as_view()),
    # Upstream's users controller repeats login and logout.
    api_path("users/login", LoginView.as_view()),
    api_path("users/logout", LogoutView.as_view()),
    api_path("users/jwt", MyTokenView.as_view()),
    api_path("users/my/self", MyselfView.as_view()),
    api_path("users/my/identity", MyIdentityView.as_view()),
    api_path(f"users/{USER_ID}/jwt", IngestorTokenView.as_view()),
    api_path(f"users/{USER_ID}/userIdentity", UserIdentityView.as_view()),
    api_path(f"users/{USER_ID}/userIdentities", UserIdentityView.as_view()),
    api_path(f"users/{USER_ID}/authorization/dataset/create", CanCreateDatasetView.as_view()),
    api_path(f"users/{USER_ID}", UserView.as_view()),
    api_path("users", UserListView.as_view()),
    api_path("useridentities/findOne", IdentityFindOneView.as_view()),
    api_path("admin/config", FrontendConfigView.as_view()),
    api_path("admin/theme", FrontendThemeView.as_view()),
]
