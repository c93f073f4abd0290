"""Controlled lists the formats share: DataCite kernel-4.7 enumerations and SPDX licences.

The DataCite lists are copied from the official kernel-4.7 XSD includes (`datacite/schema`
@471512cb, `source/meta/kernel-4.7/include/*.xsd`); the tests check them against those files so
a schema update shows up as a failing test. Values new in 4.7 (Poster, Presentation, RAiD, SWHID,
relationType Other) may not be accepted by an older production DataCite yet.
"""

from __future__ import annotations

DATACITE_NAMESPACE = "http://datacite.org/schema/kernel-4"
# The "current kernel-4" alias: production DataCite validates against its own bundled kernel-4.
DATACITE_SCHEMA_LOCATION = "http://schema.datacite.org/meta/kernel-4/metadata.xsd"
DATACITE_SCHEMA_VERSION = "4"

RESOURCE_TYPES_GENERAL = [
    "Audiovisual",
    "Award",
    "Book",
    "BookChapter",
    "Collection",
    "ComputationalNotebook",
    "ConferencePaper",
    "ConferenceProceeding",
    "DataPaper",
    "Dataset",
    "Dissertation",
    "Event",
    "Image",
    "Instrument",
    "InteractiveResource",
    "Journal",
    "JournalArticle",
    "Model",
    "OutputManagementPlan",
    "PeerReview",
    "PhysicalObject",
    "Poster",
    "Preprint",
    "Presentation",
    "Project",
    "Report",
    "Service",
    "Software",
    "Sound",
    "Standard",
    "StudyRegistration",
    "Text",
    "Workflow",
    "Other",
]

RELATION_TYPES = [
    "IsCitedBy",
    "Cites",
    "IsSupplementTo",
    "IsSupplementedBy",
    "IsContinuedBy",
    "Continues",
    "IsNewVersionOf",
    "IsPreviousVersionOf",
    "IsPartOf",
    "HasPart",
    "IsPublishedIn",
    "IsReferencedBy",
    "References",
    "IsDocumentedBy",
    "Documents",
    "IsCompiledBy",
    "Compiles",
    "IsVariantFormOf",
    "IsOriginalFormOf",
    "IsIdenticalTo",
    "HasMetadata",
    "IsMetadataFor",
    "Reviews",
    "IsReviewedBy",
    "IsDerivedFrom",
    "IsSourceOf",
    "Describes",
    "IsDescribedBy",
    "HasVersion",
    "IsVersionOf",
    "Requires",
    "IsRequiredBy",
    "Obsoletes",
    "IsObsoletedBy",
    "Collects",
    "IsCollectedBy",
    "HasTranslation",
    "IsTranslationOf",
    "Other",
]

RELATED_IDENTIFIER_TYPES = [
    "ARK",
    "arXiv",
    "bibcode",
    "CSTR",
    "DOI",
    "EAN13",
    "EISSN",
    "Handle",
    "IGSN",
    "ISBN",
    "ISSN",
    "ISTC",
    "LISSN",
    "LSID",
    "PMID",
    "PURL",
    "RAiD",
    "RRID",
    "SWHID",
    "UPC",
    "URL",
    "URN",
    "w3id",
]

CONTRIBUTOR_TYPES = [
    "ContactPerson",
    "DataCollector",
    "DataCurator",
    "DataManager",
    "Distributor",
    "Editor",
    "HostingInstitution",
    "Other",
    "Producer",
    "ProjectLeader",
    "ProjectManager",
    "ProjectMember",
    "RegistrationAgency",
    "RegistrationAuthority",
    "RelatedPerson",
    "ResearchGroup",
    "RightsHolder",
    "Researcher",
    "Sponsor",
    "Supervisor",
    "Translator",
    "WorkPackageLeader",
]

TITLE_TYPES = ["AlternativeTitle", "Subtitle", "TranslatedTitle", "Other"]
DATE_TYPES = [
    "Accepted",
    "Available",
    "Collected",
    "Copyrighted",
    "Coverage",
    "Created",
    "Issued",
    "Other",
    "Submitted",
    "Updated",
    "Valid",
    "Withdrawn",
]
DESCRIPTION_TYPES = [
    "Abstract",
    "Methods",
    "SeriesInformation",
    "TableOfContents",
    "TechnicalInfo",
    "Other",
]
FUNDER_IDENTIFIER_TYPES = ["ISNI", "GRID", "ROR", "Crossref Funder ID", "Other"]
NAME_TYPES = ["Organizational", "Personal"]


def canonical(value, allowed) -> str | None:
    """`value` spelt as in `allowed` (case-insensitive), or None when it is not in the list."""
    if value is None:
        return None
    wanted = str(value).strip().lower()
    for item in allowed:
        if item.lower() == wanted:
            return item
    return None


# SPDX identifiers of the licences research data commonly carry: (full name, URL).
SPDX_SCHEME_URI = "https://spdx.org/licenses/"
SPDX_LICENSES = {
    "CC-BY-4.0": (
        "Creative Commons Attribution 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/legalcode",
    ),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution Share Alike 4.0 International",
        "https://creativecommons.org/licenses/by-sa/4.0/legalcode",
    ),
    "CC-BY-NC-4.0": (
        "Creative Commons Attribution Non Commercial 4.0 International",
        "https://creativecommons.org/licenses/by-nc/4.0/legalcode",
    ),
    "CC-BY-ND-4.0": (
        "Creative Commons Attribution No Derivatives 4.0 International",
        "https://creativecommons.org/licenses/by-nd/4.0/legalcode",
    ),
    "CC0-1.0": (
        "Creative Commons Zero v1.0 Universal",
        "https://creativecommons.org/publicdomain/zero/1.0/legalcode",
    ),
    "ODbL-1.0": (
        "Open Data Commons Open Database License v1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    "PDDL-1.0": (
        "Open Data Commons Public Domain Dedication & License 1.0",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
    "MIT": ("MIT License", "https://opensource.org/license/mit/"),
    "Apache-2.0": ("Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
}


def spdx_license(value: str) -> tuple[str, str, str] | None:
    """(SPDX id, full name, URL) for a known SPDX id, matched case-insensitively."""
    key = canonical(value, SPDX_LICENSES)
    if key is None:
        return None
    name, url = SPDX_LICENSES[key]
    return key, name, url
