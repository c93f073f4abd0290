"""Building blocks shared by the SciCat collections: Queryable and Ownable."""

from django.db import models


class Queryable(models.Model):
    """SciCat's audit fields; set by the services, never by clients."""

    created_by = models.CharField(max_length=255, blank=True, default="")
    updated_by = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Ownable(Queryable):
    """Owner group, access groups and publication: the inputs to the access rules.

    `instrument_group` is stored and copied as SciCat does, but grants nothing.
    """

    owner_group = models.CharField(max_length=255, db_index=True)
    access_groups = models.JSONField(default=list, blank=True)
    instrument_group = models.CharField(max_length=255, blank=True, default="")
    is_published = models.BooleanField(default=False, db_index=True)

    class Meta:
        abstract = True
