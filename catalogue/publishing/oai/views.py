"""The OAI-PMH endpoint: GET and POST give the same answer; errors come with HTTP 200."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from lxml import etree

from catalogue.formats.record import site_url
from catalogue.formats.xml import sub

from .errors import BARE_REQUEST_CODES, OAIError
from .records import datestamp
from .verbs import ARGUMENTS, VERBS, check_arguments
from .xml import envelope, q


def _arguments(request) -> dict[str, list[str]]:
    source = request.POST if request.method == "POST" else request.GET
    return {name: source.getlist(name) for name in source}


def _parse(raw: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    verbs = raw.pop("verb", [])
    if len(verbs) != 1:
        raise OAIError("badVerb", "The verb argument is missing or repeated.")
    verb = verbs[0]
    if verb not in ARGUMENTS:
        raise OAIError("badVerb", f"{verb!r} is not an OAI-PMH verb.")
    repeated = sorted(name for name, values in raw.items() if len(values) > 1)
    if repeated:
        raise OAIError("badArgument", f"Repeated arguments: {', '.join(repeated)}.")
    args = {name: values[0] for name, values in raw.items()}
    empty = sorted(name for name, value in args.items() if not value.strip())
    if empty:
        raise OAIError("badArgument", f"Empty arguments: {', '.join(empty)}.")
    check_arguments(verb, args)
    return verb, args


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oai_endpoint(request):
    base_url = site_url(request) + reverse("oai")
    context = {"base_url": base_url, "site_url": site_url(request)}
    root = envelope()
    sub(root, q("responseDate"), datestamp(timezone.now()))
    request_element = sub(root, q("request"), base_url)
    try:
        verb, args = _parse(_arguments(request))
        request_element.set("verb", verb)
        for name, value in args.items():
            request_element.set(name, value)
        verb_element = etree.Element(q(verb))
        VERBS[verb](verb_element, args, context)
        root.append(verb_element)
    except OAIError as error:
        if error.code in BARE_REQUEST_CODES:
            request_element.attrib.clear()
        sub(root, q("error"), error.message, code=error.code)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
