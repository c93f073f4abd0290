"""/sitemap.xml: the public dataset pages and DOI landing pages, for search engines.

Built on what anonymous visitors may read, `Dataset.objects.visible_to(AnonymousUser())`, so a
dataset enters when it becomes public (or its record does, with EMBARGO_METADATA_PUBLIC) and
leaves when it is closed again. Withdrawn DOIs are left out. The index splits each section into
pages of 50,000 URLs, as the protocol allows.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.urls import reverse

from catalogue.access_entities import published_data_visible_to
from catalogue.models import Dataset


class DatasetSitemap(Sitemap):
    limit = 50_000
    changefreq = "monthly"

    def items(self):
        return (
            Dataset.objects.visible_to(AnonymousUser())
            .order_by("pk")
            .values_list("pid", "updated_at", named=True)
        )

    def location(self, item):
        return reverse("portal:dataset", kwargs={"pid": item.pid})

    def lastmod(self, item):
        return item.updated_at


class PublicationSitemap(Sitemap):
    limit = 50_000
    changefreq = "yearly"

    def items(self):
        visible = published_data_visible_to(AnonymousUser()).filter(withdrawn_at__isnull=True)
        return visible.order_by("doi").values_list("doi", "updated_at", named=True)

    def location(self, item):
        return reverse("doi-landing", kwargs={"doi": item.doi})

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {"datasets": DatasetSitemap, "publications": PublicationSitemap}


def index(request):
    return sitemap_views.index(request, SITEMAPS, sitemap_url_name="portal:sitemap-section")


def section(request, section: str):
    return sitemap_views.sitemap(request, SITEMAPS, section=section)
