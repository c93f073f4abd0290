"""Proposal, sample and instrument pages, each read through its own visibility rule.

Proposals and samples: 404 when missing, 403 when the user may not read them (as datasets);
instruments are readable by everybody. Each page lists the datasets linked to the record that
the user may read (the newest few, and a search link for all of them).
"""

from __future__ import annotations

from django.shortcuts import render

from catalogue.access_entities import proposals_visible_to, samples_visible_to
from catalogue.models import Dataset, Instrument, Proposal, Sample, TermKind

from .common import error_page, search_url

DATASETS_SHOWN = 50


def _datasets(user, kind: str, value: str):
    return (
        Dataset.objects.visible_to(user)
        .filter(terms__kind=kind, terms__value=value)
        .only("pid", "dataset_name", "type", "creation_time", "size", "number_of_files")
        .order_by("-creation_time", "id")[:DATASETS_SHOWN]
    )


def _refused(request, model, pk: str, label: str, visible):
    if not model.objects.filter(pk=pk).exists():
        return error_page(request, 404, f"There is no {label} {pk}.")
    if not visible.filter(pk=pk).exists():
        return error_page(request, 403, f"You may not see this {label}.")
    return None


def proposal_page(request, proposal_id: str):
    visible = proposals_visible_to(request.user)
    refusal = _refused(request, Proposal, proposal_id, "proposal", visible)
    if refusal:
        return refusal
    proposal = visible.get(pk=proposal_id)
    context = {
        "proposal": proposal,
        "datasets": _datasets(request.user, TermKind.PROPOSAL, proposal.pk),
        "search_url": search_url("proposal", proposal.pk),
    }
    return render(request, "portal/proposal.html", context)


def sample_page(request, sample_id: str):
    visible = samples_visible_to(request.user)
    refusal = _refused(request, Sample, sample_id, "sample", visible)
    if refusal:
        return refusal
    sample = visible.get(pk=sample_id)
    proposal_visible = (
        bool(sample.proposal_id)
        and proposals_visible_to(request.user).filter(pk=sample.proposal_id).exists()
    )
    context = {
        "sample": sample,
        "proposal_visible": proposal_visible,
        "datasets": _datasets(request.user, TermKind.SAMPLE, sample.pk),
        "search_url": search_url("sample", sample.pk),
    }
    return render(request, "portal/sample.html", context)


def instrument_page(request, pid: str):
    instrument = Instrument.objects.filter(pk=pid).first()
    if instrument is None:
        return error_page(request, 404, f"There is no instrument {pid}.")
    context = {
        "instrument": instrument,
        "datasets": _datasets(request.user, TermKind.INSTRUMENT, instrument.pk),
        "search_url": search_url("instrument", instrument.pk),
    }
    return render(request, "portal/instrument.html", context)
