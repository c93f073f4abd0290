"""Joins the two migrations written side by side (data policies, DOI lifecycle); nothing else."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0005_data_policies"),
        ("catalogue", "0005_doi_lifecycle"),
    ]

    operations = []
