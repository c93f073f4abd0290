"""Browser views of the site live in portal/pages/ and portal/downloads/; `home` stays for the
root route in portal/urls.py (the search page answers "/" first)."""

from portal.pages.search import search_page as home

__all__ = ["home"]
