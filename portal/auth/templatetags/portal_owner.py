"""The owner's panel on the dataset page: edit, share and history links and the last changes.

Shown only to users who may update the dataset (owner group, administrators): the history
names the people a dataset is shared with."""

from django import template

from catalogue.access import Action, can
from catalogue.selectors import dataset_history

register = template.Library()
RECENT = 5


@register.inclusion_tag("portal/mydata/owner_panel.html", takes_context=True)
def dataset_owner_panel(context, dataset):
    from portal.pages.mydata import history_rows

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can(user, Action.UPDATE, dataset):
        return {"show": False}
    entries = list(dataset_history(user=user, dataset=dataset)[:RECENT])
    return {"show": True, "dataset": dataset, "entries": history_rows(entries)}
