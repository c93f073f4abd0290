"""manage.py reindex: rebuilds the search index from the database, with a progress bar."""

import os

from django.core.management.base import BaseCommand
from tqdm import tqdm

from catalogue.models import Dataset
from search.indexing import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from the database (searches use the old one until done)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="datasets read at once")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--workers",
            type=int,
            default=max(0, min(4, (os.cpu_count() or 1) - 1)),
            help="processes building documents (0: this one; default: CPUs - 1, at most 4)",
        )

    def handle(self, *args, batch_size, no_progress, workers, **options):
        total = Dataset.objects.count()
        with tqdm(total=total, unit="dataset", disable=no_progress, file=self.stderr) as bar:
            count = index_rebuild(batch_size=batch_size, progress=bar.update, workers=workers)
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} datasets."))
