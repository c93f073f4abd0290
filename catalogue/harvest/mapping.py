"""Where a harvested source belongs: owner and access groups, and where its files can be fetched.

A small config (JSON, or TOML when the file name ends in .toml), all keys optional::

    {
      "owner_group": "facility",                  # for sources no rule names one
      "access_groups": [],
      "contact_email": "data@example.org",        # when the files name nobody
      "group_by": "file",                         # or "directory"
      "rules": [                                  # first match wins (re.search on the path)
        {"pattern": "/data/(?P<year>\\\\d+)/(?P<proposal>p\\\\d+)/",
         "owner_group": "{proposal}", "access_groups": ["staff"],
         "proposal_id": "{proposal}", "group_by": "directory"}
      ],
      "storage": [                                # the longest matching prefix wins
        {"prefix": "/data/", "host": "https://dcache.example.org:2880",
         "path": "/pnfs/example.org/data/"}
      ]
    }

Rule values are templates filled with the pattern's named groups. A storage rule rewrites the
local folder into the path on the storage server (``path``, default: the same path) and names
the server (``host``, with its protocol); the dataset's sourceFolder/sourceFolderHost are those,
and ``download_url`` joins them. Pure: no Django, no database.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import quote

GROUP_BY = ("file", "directory")
RULE_FIELDS = frozenset(
    {"pattern", "owner_group", "access_groups", "proposal_id", "contact_email", "group_by"}
)
TOP_FIELDS = frozenset({"owner_group", "access_groups", "contact_email", "group_by", "rules"})
TOP_FIELDS |= {"storage"}
STORAGE_FIELDS = frozenset({"prefix", "host", "path"})


class MappingError(ValueError):
    """The mapping config cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern
    owner_group: str = ""
    access_groups: tuple[str, ...] | None = None  # None: the mapping's own
    proposal_id: str = ""
    contact_email: str = ""
    group_by: str = ""


@dataclass(frozen=True)
class Storage:
    prefix: str
    host: str
    path: str


@dataclass(frozen=True)
class Placement:
    """What the mapping says about one source; `owner_group` "" means nobody placed it."""

    owner_group: str = ""
    access_groups: tuple[str, ...] = ()
    proposal_id: str = ""
    contact_email: str = ""
    source_folder: str = ""  # the folder as the storage server names it
    source_folder_host: str = ""
    download_url: str = ""  # of the folder

    def digest(self) -> str:
        """A fingerprint: when it changes, the source's dataset is updated."""
        return _digest(self)


@lru_cache(maxsize=4096)  # a re-run asks for it once per source, of a few distinct placements
def _digest(placement: Placement) -> str:
    text = json.dumps(asdict(placement), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Mapping:
    owner_group: str = ""
    access_groups: tuple[str, ...] = ()
    contact_email: str = ""
    group_by: str = "file"
    rules: tuple[Rule, ...] = ()
    storage: tuple[Storage, ...] = field(default=())

    def rule_for(self, path: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.pattern.search(path)), None)

    def _match(self, path: str) -> tuple[Rule | None, dict]:
        """The first rule matching `path` and its named groups."""
        for rule in self.rules:
            found = rule.pattern.search(path)
            if found:
                return rule, found.groupdict(default="")
        return None, {}

    @cached_property
    def _rules_group(self) -> bool:
        return any(rule.group_by for rule in self.rules)

    def group_by_for(self, path: str) -> str:
        """How files under `path` form datasets: "file" or "directory"."""
        if not self._rules_group:  # no rule says: no need to match one (a re-run asks per file)
            return self.group_by
        rule = self.rule_for(path)
        return (rule.group_by if rule else "") or self.group_by

    def place(self, source: str, folder: str, *, directory: bool = False) -> Placement:
        """The placement of `source` (a path), whose files live in the local `folder`.

        A directory is matched with a trailing "/", so a rule written for ".../p123/" also
        places the directory p123 itself.
        """
        rule, values = self._match(source.rstrip("/") + "/" if directory else source)
        # The same for every source of a folder that a rule matches alike: a re-run asks for
        # 100,000 placements and makes a few hundred.
        key = (id(rule), tuple(values.items()), folder)
        cache = self._placements
        found = cache.get(key)
        if found is None:
            if len(cache) >= 4096:
                cache.clear()
            found = cache[key] = self._placement(rule, values, folder)
        return found

    @cached_property
    def _placements(self) -> dict:
        return {}

    def _placement(self, rule: Rule | None, values: dict, folder: str) -> Placement:
        owner_group = (rule and rule.owner_group) or self.owner_group
        contact = (rule and rule.contact_email) or self.contact_email
        own_groups = rule.access_groups if rule else None
        groups = [
            fill(g, values) for g in (self.access_groups if own_groups is None else own_groups)
        ]
        remote, host = self._storage_path(folder)
        return Placement(
            owner_group=fill(owner_group, values),
            access_groups=tuple(group for group in groups if group),
            proposal_id=fill(rule.proposal_id, values) if rule else "",
            contact_email=fill(contact, values),
            source_folder=remote,
            source_folder_host=host,
            download_url=download_url(host, remote),
        )

    def _storage_path(self, folder: str) -> tuple[str, str]:
        folder = folder.rstrip("/") or "/"
        candidates = [s for s in self.storage if (folder + "/").startswith(s.prefix)]
        if not candidates:
            return folder, ""
        best = max(candidates, key=lambda s: len(s.prefix))
        rest = (folder + "/")[len(best.prefix) :]
        return (best.path + rest).rstrip("/") or "/", best.host


def fill(template: str, values: dict) -> str:
    return template.format_map(values) if template else ""


def download_url(host: str, folder: str, file: str = "") -> str:
    """The URL of `folder` (or of `file` inside it) on `host`.

    XRootD wants "root://host//absolute/path"; WebDAV/HTTP "https://host/path"; no host gives
    a file:// URL of the local path.
    """
    path = folder.rstrip("/") + ("/" + file.lstrip("/") if file else "")
    quoted = quote(path)
    if not host:
        return "file://" + quoted
    host = host.rstrip("/")
    if host.startswith(("root://", "xroot://")):
        return f"{host}/{quoted}"
    return host + quoted


# --- loading -------------------------------------------------------------------------------


def load(path) -> Mapping:
    """The mapping in a JSON or TOML file; MappingError names what is wrong."""
    return parse(read(path))


def read(path) -> dict:
    """The decoded config of a JSON or TOML file, checked (so it can be stored and parsed later)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"cannot read mapping file {path}: {exc.strerror or exc}") from exc
    try:
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise MappingError(f"mapping file {path} is not valid {kind}: {exc}") from exc
    parse(raw)
    return raw


def parse(raw) -> Mapping:
    """A Mapping from the decoded config (a dict); every problem is a MappingError."""
    if raw is None:
        return Mapping()
    if not isinstance(raw, dict):
        raise MappingError("the mapping must be an object")
    _known(raw, TOP_FIELDS, "mapping")
    rules = raw.get("rules") or []
    storage = raw.get("storage") or []
    if not isinstance(rules, list) or not isinstance(storage, list):
        raise MappingError("rules and storage must be lists")
    mapping = Mapping(
        owner_group=_text(raw, "owner_group", "mapping"),
        access_groups=_groups(raw, "mapping") or (),
        contact_email=_text(raw, "contact_email", "mapping"),
        group_by=_group_by(raw, "mapping") or "file",
        rules=tuple(_rule(item, index) for index, item in enumerate(rules)),
        storage=tuple(_storage(item, index) for index, item in enumerate(storage)),
    )
    defaults = (mapping.owner_group, mapping.contact_email, *mapping.access_groups)
    _check_templates(defaults, set(), "mapping")  # no pattern here: nothing to fill in
    return mapping


def _rule(item, index: int) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(item, dict):
        raise MappingError(f"{where} must be an object")
    _known(item, RULE_FIELDS, where)
    try:
        pattern = re.compile(_text(item, "pattern", where))
    except re.error as exc:
        raise MappingError(f"{where}.pattern is not a regular expression: {exc}") from exc
    if not pattern.pattern:
        raise MappingError(f"{where}.pattern is required")
    rule = Rule(
        pattern=pattern,
        owner_group=_text(item, "owner_group", where),
        access_groups=_groups(item, where),
        proposal_id=_text(item, "proposal_id", where),
        contact_email=_text(item, "contact_email", where),
        group_by=_group_by(item, where),
    )
    templates = (rule.owner_group, rule.proposal_id, rule.contact_email)
    _check_templates(templates + (rule.access_groups or ()), set(pattern.groupindex), where)
    return rule


def _check_templates(templates, names: set[str], where: str) -> None:
    for template in templates:
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(template)]
        except ValueError as exc:
            raise MappingError(f"{where}: {template!r} is not a valid template: {exc}") from exc
        for name in fields:
            if name is not None and name not in names:
                raise MappingError(f"{where}: {{{name}}} is not a named group of the pattern")


def _storage(item, index: int) -> Storage:
    where = f"storage[{index}]"
    if not isinstance(item, dict):
        raise MappingError(f"{where} must be an object")
    _known(item, STORAGE_FIELDS, where)
    prefix = _text(item, "prefix", where)
    if not prefix.startswith("/"):
        raise MappingError(f"{where}.prefix must be an absolute path")
    prefix = prefix.rstrip("/") + "/"
    remote = _text(item, "path", where) or prefix
    return Storage(prefix=prefix, host=_text(item, "host", where), path=remote.rstrip("/") + "/")


def _known(item: dict, allowed: frozenset, where: str) -> None:
    unknown = set(item) - allowed
    if unknown:
        raise MappingError(f"{where}: unknown keys {', '.join(sorted(unknown))}")


def _text(item: dict, name: str, where: str) -> str:
    value = item.get(name, "")
    if not isinstance(value, str):
        raise MappingError(f"{where}.{name} must be a string")
    return value.strip()


def _groups(item: dict, where: str) -> tuple[str, ...] | None:
    if "access_groups" not in item:
        return None
    value = item["access_groups"]
    if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
        raise MappingError(f"{where}.access_groups must be a list of strings")
    return tuple(g.strip() for g in value if g.strip())


def _group_by(item: dict, where: str) -> str:
    value = _text(item, "group_by", where)
    if value and value not in GROUP_BY:
        raise MappingError(f"{where}.group_by must be one of {', '.join(GROUP_BY)}")
    return value
