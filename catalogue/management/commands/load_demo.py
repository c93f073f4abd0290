"""Loads the demo catalogue and the demo accounts, then says how to log in. Safe to run again."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from catalogue import demo
from catalogue.models import Dataset


class Command(BaseCommand):
    help = "Loads the demo data and accounts (skips what exists) and prints how to log in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="where the site runs, for the message"
        )
        parser.add_argument(
            "--force", action="store_true", help="load even with DEBUG off (not for real sites)"
        )

    def handle(self, *args, url: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: refusing to add demo accounts (use --force).")
        credentials_file = settings.DATA_DIR / demo.CREDENTIALS_FILE
        passwords = demo.passwords_ensure(credentials_file)
        created_users = demo.users_ensure(passwords=passwords)
        if demo.is_loaded():
            self.stdout.write("Demo data already loaded: nothing to do.")
        else:
            self.stdout.write("Loading the demo data...")
            count = demo.data_load()
            self.stdout.write(self.style.SUCCESS(f"Loaded {count} demo datasets."))
        if created_users:
            self.stdout.write(f"Created accounts: {', '.join(created_users)}.")
        self._banner(url.rstrip("/"), passwords, credentials_file)

    def _banner(self, url: str, passwords: dict, credentials_file) -> None:
        admin_password = self._password_or_note(demo.ADMIN_USERNAME, passwords[demo.ADMIN_USERNAME])
        people = ", ".join(person[0] for person in demo.PEOPLE)
        demo_password = self._password_or_note(demo.PEOPLE[0][0], passwords["demo"])
        rule = "=" * 78
        lines = [
            rule,
            f"fedcat: {url}/  ({Dataset.objects.count()} datasets in the catalogue)",
            "",
            f"  Admin:       {url}/admin/",
            f"               user {demo.ADMIN_USERNAME}   password {admin_password}",
            "",
            f"  Demo users:  {people}",
            f"               password {demo_password}",
            f"               sign in at {url}/login and the front page lists",
            "               what that user may see (alice owns data, oscar is an outsider).",
            "",
            f"  Passwords are kept in {credentials_file}",
            rule,
        ]
        self.stdout.write("\n".join(lines))

    @staticmethod
    def _password_or_note(username: str, password: str) -> str:
        """The stored password, unless the account was made (or changed) by someone else."""
        user = User.objects.filter(username=username).first()
        if user is not None and user.check_password(password):
            return password
        return "(set outside the demo; not shown)"
