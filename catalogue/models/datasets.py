"""The Dataset, SciCat's central collection, and its array index."""

from django.db import models
from django.db.models import BooleanField, Expression, F

from .base import Ownable


class DatasetQuerySet(models.QuerySet):
    def visible_to(self, user, *, owner_groups: frozenset[str] = frozenset()) -> "DatasetQuerySet":
        """The datasets `user` may read. Every read path starts here. `owner_groups`: for a
        caller that keeps to datasets of these owner groups (see access.dataset_filter)."""
        from catalogue.access import Action, dataset_filter

        return self.filter(dataset_filter(user, Action.READ, owner_groups=owner_groups))

    def permitted(self, user, action) -> "DatasetQuerySet":
        """The datasets on which `user` may perform `action` (see catalogue.access)."""
        from catalogue.access import dataset_filter

        return self.filter(dataset_filter(user, action))


class DatasetType(models.TextChoices):
    RAW = "raw"
    DERIVED = "derived"


class Dataset(Ownable):
    """A SciCat v3/v4 dataset. Field names are the snake_case of SciCat's camelCase names."""

    pid = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=64, db_index=True)
    dataset_name = models.CharField(max_length=500, blank=True, default="")
    description = models.TextField(blank=True, default="")
    owner = models.CharField(max_length=255)
    owner_email = models.CharField(max_length=255, blank=True, default="")
    orcid_of_owner = models.CharField(max_length=255, blank=True, default="")
    contact_email = models.CharField(max_length=255)
    principal_investigators = models.JSONField(default=list, blank=True)
    source_folder = models.TextField()
    source_folder_host = models.CharField(max_length=255, blank=True, default="")
    size = models.BigIntegerField(default=0)
    packed_size = models.BigIntegerField(default=0)
    number_of_files = models.BigIntegerField(default=0)
    number_of_files_archived = models.BigIntegerField(default=0)
    creation_time = models.DateTimeField(db_index=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    creation_location = models.CharField(max_length=255, blank=True, default="")
    validation_status = models.CharField(max_length=255, blank=True, default="")
    classification = models.CharField(max_length=255, blank=True, default="")
    license = models.CharField(max_length=255, blank=True, default="")
    comment = models.TextField(blank=True, default="")
    run_number = models.CharField(max_length=255, blank=True, default="")
    data_format = models.CharField(max_length=255, blank=True, default="")
    data_quality_metrics = models.FloatField(null=True, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    techniques = models.JSONField(default=list, blank=True)
    relationships = models.JSONField(default=list, blank=True)
    shared_with = models.JSONField(default=list, blank=True)
    proposal_ids = models.JSONField(default=list, blank=True)
    sample_ids = models.JSONField(default=list, blank=True)
    instrument_ids = models.JSONField(default=list, blank=True)
    input_datasets = models.JSONField(default=list, blank=True)
    used_software = models.JSONField(default=list, blank=True)
    job_parameters = models.JSONField(null=True, blank=True)
    job_log_data = models.TextField(blank=True, default="")
    datasetlifecycle = models.JSONField(default=dict, blank=True)
    scientific_metadata = models.JSONField(default=dict, blank=True)
    scientific_metadata_schema = models.CharField(max_length=500, blank=True, default="")
    scientific_metadata_valid = models.BooleanField(null=True, blank=True)
    # Quantities whose unit could not be converted to SI: [{path, unit, reason}].
    unit_issues = models.JSONField(default=list, blank=True)
    # The API version the dataset was written with ("3" or "4"), as SciCat records it.
    version = models.CharField(max_length=8, blank=True, default="3")
    # When the embargo ends and the dataset becomes public on its own (None: never by itself).
    embargo_end = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["-creation_time", "id"]
        indexes = [
            models.Index(fields=["owner_group", "is_published"]),
            # Counting a group's datasets for someone outside it reads the access columns, and
            # the id the access-group and shared-with checks look up, from the index alone on
            # PostgreSQL (INCLUDE; other databases ignore it). Without the id: 117 ms, not 6.
            models.Index(
                fields=["owner_group"],
                include=["is_published", "embargo_end", "id"],
                name="dataset_group_access_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.pid


class TermKind(models.TextChoices):
    ACCESS_GROUP = "access_group"
    SHARED_WITH = "shared_with"
    PROPOSAL = "proposal"
    SAMPLE = "sample"
    INSTRUMENT = "instrument"
    KEYWORD = "keyword"
    TECHNIQUE = "technique"


class DatasetTerm(models.Model):
    """One element of one of a dataset's array fields, kept by the services.

    The arrays stay in the Dataset row (the API returns them as written); this table makes
    "array contains x" an indexed join that works the same on SQLite and PostgreSQL. The access
    rules use it for access groups and sharedWith.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="terms")
    kind = models.CharField(max_length=32, choices=TermKind.choices)
    value = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "kind", "value"], name="unique_dataset_term")
        ]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"


class HasTerm(Expression):
    """True for a dataset with a term of one of `terms` ({kind: values}): the SQL of
    ``Exists(DatasetTerm.objects.filter(Q(kind=k1, value__in=v1) | ..., dataset=OuterRef("pk")))``,
    written out. Building and compiling that subquery through the ORM cost about 0.2 ms of CPU
    each time, and the access rules need one on every request of a user who is not an admin.
    Several kinds in one EXISTS cost the database one probe of a dataset's terms, not one each.

    The dataset is the query's own pk as a resolved column, so Django relabels it when the query
    is nested in another; the term table gets an alias no ORM alias takes.
    """

    conditional = True
    ALIAS = "fedcat_term"

    def __init__(self, terms: dict):
        super().__init__(output_field=BooleanField())
        self.terms = tuple(
            (str(kind), tuple(str(value) for value in values))
            for kind, values in terms.items()
            if values
        )
        self.dataset = F("pk")

    def get_source_expressions(self):
        return [self.dataset]

    def set_source_expressions(self, exprs):
        (self.dataset,) = exprs

    def as_sql(self, compiler, connection):
        if not self.terms:
            # An empty IN is not SQL; like value__in=[], it matches nothing.
            return "1 = 0", ()
        dataset_sql, dataset_params = compiler.compile(self.dataset)
        quote = connection.ops.quote_name
        meta = DatasetTerm._meta
        alias = quote(self.ALIAS)
        column = {
            name: f"{alias}.{quote(meta.get_field(name).column)}"
            for name in ("dataset", "kind", "value")
        }
        either, params = [], [*dataset_params]
        for kind, values in self.terms:
            placeholders = ", ".join(["%s"] * len(values))
            either.append(f"({column['kind']} = %s AND {column['value']} IN ({placeholders}))")
            params += [kind, *values]
        sql = (
            f"EXISTS(SELECT 1 FROM {quote(meta.db_table)} {alias}"
            f" WHERE {column['dataset']} = {dataset_sql} AND ({' OR '.join(either)}))"
        )
        return sql, tuple(params)
