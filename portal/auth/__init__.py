"""Sign-in: OpenID Connect (Helmholtz AAI) through mozilla-django-oidc, local accounts, logout.

`provider` talks to the identity provider (discovery, userinfo), `groups` turns entitlements
into group names, `services` creates and updates users, `backends` plugs both into Django's
authentication, `views` are the pages. See docs/portal.md, "Signing in".
"""
