"""`{% policy_panel dataset %}`: the dataset page's licence, conditions, embargo and access
request panel, so the page view stays as it is. Facts come from catalogue.access and the
policy selectors; the buttons post to portal/pages/{policies,access_requests}.py."""

from __future__ import annotations

from django import template

from catalogue.access import Action, can, embargo_metadata_public, is_embargoed
from catalogue.models import DatasetPolicy, Policy
from catalogue.policies import selectors
from catalogue.policies.licences import licence
from catalogue.services.policies import usage_conditions_for
from portal.downloads.records import licence_acceptance

register = template.Library()


@register.inclusion_tag("portal/policies/panel.html", takes_context=True)
def policy_panel(context, dataset):
    request = context["request"]
    user = request.user
    may_download = can(user, Action.DOWNLOAD, dataset)
    may_update = can(user, Action.UPDATE, dataset)
    conditions = usage_conditions_for(dataset)
    embargoed = is_embargoed(dataset)
    facts = {
        "request": request,
        "user": user,
        "dataset": dataset,
        "messages": context.get("messages"),
        "licence": licence(dataset.license),
        "conditions": conditions,
        "embargoed": embargoed,
        "metadata_public": embargo_metadata_public(),
        "may_download": may_download,
        "acceptance": licence_acceptance(user=user, dataset=dataset, conditions=conditions)
        if may_download
        else None,
        "pending": None if may_download else selectors.pending_request(user, dataset),
        "grant": selectors.live_grant(user, dataset),
        "may_answer": may_update,
        "pending_count": selectors.pending_count(dataset) if may_update else 0,
        "may_release": not dataset.is_published and can(user, Action.PUBLISH, dataset),
        "may_extend": can(user, Action.EXTEND_EMBARGO, dataset),
        "may_edit_conditions": may_update,
    }
    facts["may_change_embargo"] = not dataset.is_published and (
        facts["may_release"] or facts["may_extend"]
    )
    if may_update:
        own = DatasetPolicy.objects.filter(dataset=dataset).values_list(
            "usage_conditions", flat=True
        )
        group = Policy.objects.filter(owner_group=dataset.owner_group)
        facts["own_conditions"] = own.first() or ""
        facts["group_conditions"] = group.values_list("usage_conditions", flat=True).first() or ""
    return facts
