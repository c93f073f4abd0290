"""Members of documents, with their person and affiliation (panosc-api.md §1.1).

fedcat keeps no member table, so members are derived:

- a proposal has up to two: its principal investigator (role "principal investigator", from
  piFirstname/piLastname) and its main proposer (role "main proposer", firstname/lastname);
  a member without a name is left out. E-mail addresses are never shown;
- a publication has its creators (role "creator") and contributors (role "contributor") from
  its DataCite-like metadata: name, givenName, familyName, nameIdentifiers (an ORCID is shown
  as orcid), affiliation (a text or [{name}]; the first is shown).

A members include with a where is tested on each member (role, id) with its person and
affiliation includes ANDed in (inner join): on the database for proposals, in Python for
publications (a publication's creators live inside its JSON metadata).
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Concat, Trim

from .filters import Scope
from .where import NOTHING_Q, Column, Const, matches, parse_where, to_q

PERSON_TEXT = ("fullName", "firstName", "lastName")
AFFILIATION_TEXT = ("name", "address", "city", "country")
# (member id, role, first-name column, last-name column) of a proposal's members
PROPOSAL_MEMBERS = (
    (1, "principal investigator", "pi_firstname", "pi_lastname"),
    (2, "main proposer", "firstname", "lastname"),
)
PUBLICATION_ROLES = (("creators", "creator"), ("contributors", "contributor"))


# --- rows ---------------------------------------------------------------------------------------
def proposal_members(proposal) -> list[dict]:
    rows = []
    for number, role, first_column, last_column in PROPOSAL_MEMBERS:
        first = (getattr(proposal, first_column) or "").strip()
        last = (getattr(proposal, last_column) or "").strip()
        if first or last:
            person = {"id": f"{proposal.proposal_id}~{number}"}
            person["fullName"] = f"{first} {last}".strip()
            person.update({k: v for k, v in (("firstName", first), ("lastName", last)) if v})
            rows.append({"id": number, "role": role, "person": person, "affiliation": None})
    return rows


def publication_members(doi: str, metadata) -> list[dict]:
    metadata = metadata if isinstance(metadata, dict) else {}
    rows = []
    for key, role in PUBLICATION_ROLES:
        people = metadata.get(key)
        for entry in people if isinstance(people, list) else []:
            if isinstance(entry, str):
                entry = {"name": entry}
            if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
                continue
            number = len(rows) + 1
            rows.append(
                {
                    "id": number,
                    "role": role,
                    "person": _person(f"{doi}~{number}", entry),
                    "affiliation": _affiliation(f"{doi}~{number}", entry.get("affiliation")),
                }
            )
    return rows


def _person(person_id: str, entry: dict) -> dict:
    person = {"id": person_id, "fullName": str(entry["name"]).strip()}
    for key, name in (("givenName", "firstName"), ("familyName", "lastName")):
        if isinstance(entry.get(key), str) and entry[key].strip():
            person[name] = entry[key].strip()
    for identifier in entry.get("nameIdentifiers") or []:
        if isinstance(identifier, dict) and str(identifier.get("nameIdentifierScheme")) == "ORCID":
            person["orcid"] = str(identifier.get("nameIdentifier", ""))
    return person


def _affiliation(affiliation_id: str, value) -> dict | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, str) or not value.strip():
        return None
    return {"id": affiliation_id, "name": value.strip()}


# --- matching -----------------------------------------------------------------------------------
def member_matches(row: dict, scope: Scope) -> bool:
    """The member satisfies the scope: its own where, and each person/affiliation include."""
    own = {k: v for k, v in row.items() if k in ("id", "role")}
    if not matches(parse_where(scope.where), own):
        return False
    for relation in scope.include:
        if not relation.conditional:
            continue
        if relation.key == "person":
            text = PERSON_TEXT
        elif relation.key == "affiliation":
            text = AFFILIATION_TEXT
        else:
            return False
        target = row.get(relation.key)
        if target is None or not matches(parse_where(relation.scope.where, text), target):
            return False
    return True


def shown(row: dict, scope: Scope) -> dict:
    """A member as output: id and role, plus the person and affiliation when included."""
    out = {"id": row["id"], "role": row["role"]}
    for relation in scope.include:
        if relation.key in ("person", "affiliation") and row.get(relation.key) is not None:
            out[relation.name] = row[relation.key]
    return out


def proposal_members_q(scope: Scope) -> Q:
    """Proposals with a member satisfying the scope (the database twin of member_matches)."""
    member_where = parse_where(scope.where)
    parts = []
    for number, role, first, last in PROPOSAL_MEMBERS:
        q = (~Q(**{first: ""}) | ~Q(**{last: ""})) & to_q(
            member_where, {"id": Const(number), "role": Const(role)}
        )
        for relation in scope.include:
            if not relation.conditional:
                continue
            if relation.key == "person":
                node = parse_where(relation.scope.where, PERSON_TEXT)
                q &= to_q(node, _person_fields(first, last))
            else:  # proposals have no affiliations
                q &= NOTHING_Q
        parts.append(q)
    return reduce(or_, parts)


def _person_fields(first: str, last: str) -> dict:
    full = Trim(Concat(F(first), Value(" "), F(last), output_field=CharField()))
    return {"fullName": Column(full), "firstName": Column(first), "lastName": Column(last)}
