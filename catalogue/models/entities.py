"""Proposals, samples, instruments and the technique vocabulary."""

from django.db import models

from .base import Ownable, Queryable


class Proposal(Ownable):
    proposal_id = models.CharField(max_length=255, primary_key=True)
    email = models.CharField(max_length=255)
    title = models.TextField()
    pi_email = models.CharField(max_length=255, blank=True, default="")
    pi_firstname = models.CharField(max_length=255, blank=True, default="")
    pi_lastname = models.CharField(max_length=255, blank=True, default="")
    firstname = models.CharField(max_length=255, blank=True, default="")
    lastname = models.CharField(max_length=255, blank=True, default="")
    abstract = models.TextField(blank=True, default="")
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    measurement_period_list = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    parent_proposal_id = models.CharField(max_length=255, blank=True, default="")
    type = models.CharField(max_length=100, default="Default Proposal")
    instrument_ids = models.JSONField(default=list, blank=True)
    number_of_datasets = models.PositiveIntegerField(default=0)
    # Per-proposal embargo override in years (None: the owner group's policy decides).
    embargo_period = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["proposal_id"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.title[:60]}"


class Sample(Ownable):
    sample_id = models.CharField(max_length=255, primary_key=True)
    owner = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    type = models.CharField(max_length=100, blank=True, default="")
    proposal_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    parent_sample_id = models.CharField(max_length=255, blank=True, default="")
    sample_characteristics = models.JSONField(default=dict, blank=True)
    unit_issues = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["sample_id"]

    def __str__(self) -> str:
        return self.sample_id


class Instrument(Queryable):
    """Instruments are not Ownable in SciCat: everybody may read them."""

    pid = models.CharField(max_length=255, primary_key=True)
    unique_name = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255)
    custom_metadata = models.JSONField(default=dict, blank=True)
    unit_issues = models.JSONField(default=list, blank=True)
    facility = models.CharField(max_length=255, blank=True, default="", db_index=True)

    class Meta:
        ordering = ["unique_name"]

    def __str__(self) -> str:
        return self.unique_name


class Technique(models.Model):
    """A technique from the PaNET ontology, e.g. pid http://purl.org/pan-science/PaNET/PaNET01188."""

    pid = models.CharField(max_length=255, primary_key=True)
    name = models.CharField(max_length=255, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
