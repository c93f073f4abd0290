"""manage.py harvest PATH...: NeXus, FITS and openPMD files into the catalogue (docs/harvest.md)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from catalogue.harvest.mapping import GROUP_BY
from catalogue.harvest.run import BATCH_SIZE, HarvestError, harvest, summary
from catalogue.models import HarvestState

SHOWN_FAILURES = 20


class Command(BaseCommand):
    help = (
        "Harvests the NeXus, FITS and openPMD files under PATH... into the catalogue. "
        "Incremental: unchanged files are skipped, changed ones update their dataset, "
        "removed ones are flagged. Safe to re-run, also after an interrupted run."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--owner-group", default="", help="for sources no mapping rule places")
        parser.add_argument("--mapping", default="", help="mapping rules (JSON or TOML file)")
        parser.add_argument("--group-by", choices=GROUP_BY, default="", help="default: file")
        parser.add_argument("--workers", type=int, default=None, help="extraction processes")
        parser.add_argument("--no-checksums", action="store_true", help="skip the checksum stage")
        parser.add_argument("--checksum-alg", default="sha256", help="any hashlib algorithm")
        parser.add_argument("--no-previews", action="store_true", help="make no thumbnails")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help="sources per transaction"
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="show progress bars (default: when stderr is a terminal)",
        )

    def handle(self, *args, **options):
        progress = options["progress"] if options["progress"] is not None else sys.stderr.isatty()
        try:
            run = harvest(
                options["paths"],
                progress=progress,
                owner_group=options["owner_group"],
                mapping_file=options["mapping"],
                group_by=options["group_by"],
                workers=options["workers"],
                checksums_on=not options["no_checksums"],
                checksum_alg=options["checksum_alg"],
                previews=not options["no_previews"],
                batch_size=options["batch_size"],
            )
        except HarvestError as exc:
            raise CommandError(str(exc)) from exc
        failures = run.records.filter(state=HarvestState.FAILED).order_by("source")
        for record in failures[:SHOWN_FAILURES]:
            self.stderr.write(f"  failed: {record.source}: {record.reason}")
        if run.failed > SHOWN_FAILURES:
            self.stderr.write(f"  ... {run.failed - SHOWN_FAILURES} more (see the admin)")
        if run.error:
            raise CommandError(summary(run))
        self.stdout.write(summary(run))
