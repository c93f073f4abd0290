import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# Import every view now (the first request would), then freeze what is loaded: it lives as long
# as the process, and the cycle collector's full passes no longer walk it. A full pass over it
# took about 40 ms, once every few hundred requests; 0.3 ms frozen (bench/README.md).
get_resolver().url_patterns  # noqa: B018
gc.freeze()
