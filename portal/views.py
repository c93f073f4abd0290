"""Browser views of the site. The portal issue grows these; for now a front page."""

from django.shortcuts import render

from catalogue.models import Dataset


def home(request):
    datasets = Dataset.objects.visible_to(request.user).order_by("-creation_time")[:20]
    return render(request, "portal/home.html", {"datasets": datasets})
