"""manage.py search_check: datasets missing from, stale in or orphaned in the search index."""

from django.core.management.base import BaseCommand, CommandError

from search.indexing import index_check, index_datasets

SHOWN = 20  # pids listed per kind of problem


class Command(BaseCommand):
    help = "Compare the search index with the database (pid and updatedAt)."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="re-index what is wrong")

    def handle(self, *args, fix, **options):
        report = index_check()
        self.stdout.write(
            f"database: {report.in_database} datasets, index: {report.in_index} documents, "
            f"outbox: {report.pending} pending, {report.stuck} failing"
        )
        problems = (
            ("missing from the index", report.missing),
            ("stale in the index", report.stale),
            ("in the index but not in the database", report.orphaned),
        )
        for label, pids in problems:
            if pids:
                more = f" (first {SHOWN})" if len(pids) > SHOWN else ""
                self.stdout.write(f"{len(pids)} {label}{more}:")
                for pid in pids[:SHOWN]:
                    self.stdout.write(f"  {pid}")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("The index agrees with the database."))
            return
        if fix:
            wrong = report.missing + report.stale + report.orphaned
            indexed, deleted = index_datasets(wrong)
            self.stdout.write(self.style.SUCCESS(f"Re-indexed {indexed}, removed {deleted}."))
            return
        if report.stuck:
            self.stdout.write("Failing outbox rows: their last_error says why (IndexOutbox).")
        raise CommandError("the search index does not agree with the database")
