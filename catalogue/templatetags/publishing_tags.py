"""Template helpers of publishing: may this user publish this dataset, and the DataCite
refusals that belong beside one part of the publication form."""

from __future__ import annotations

from django import template

from catalogue.access import Action, can

register = template.Library()


@register.filter
def may_publish(user, dataset) -> bool:
    """`{% if user|may_publish:dataset %}`: owners and admins (catalogue.access)."""
    return bool(user is not None and user.is_authenticated and can(user, Action.PUBLISH, dataset))


@register.filter
def errors_for(bundle, place: str) -> list[str]:
    """DataCite's errors for one field or section of a PublicationBundle."""
    return bundle.errors_for(place) if bundle is not None else []
