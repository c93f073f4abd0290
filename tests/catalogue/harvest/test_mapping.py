"""The mapping config: paths to owner and access groups, storage prefixes to download URLs."""

import json

import pytest

from catalogue.harvest.mapping import MappingError, download_url, load, parse

PROPOSAL_RULE = {
    "pattern": r"/data/(?P<year>\d+)/(?P<proposal>p\d+)/",
    "owner_group": "{proposal}",
    "access_groups": ["staff", "y{year}"],
    "proposal_id": "{proposal}",
}


def test_a_rule_places_a_file_by_its_proposal_directory():
    mapping = parse({"owner_group": "facility", "rules": [PROPOSAL_RULE]})

    placed = mapping.place("/data/2024/p123/scan/a.nxs", "/data/2024/p123/scan")

    assert placed.owner_group == "p123"
    assert placed.access_groups == ("staff", "y2024")
    assert placed.proposal_id == "p123"


def test_paths_no_rule_matches_get_the_default_owner_and_access_groups():
    mapping = parse(
        {"owner_group": "facility", "access_groups": ["all-staff"], "rules": [PROPOSAL_RULE]}
    )

    placed = mapping.place("/scratch/a.nxs", "/scratch")

    assert (placed.owner_group, placed.access_groups, placed.proposal_id) == (
        "facility",
        ("all-staff",),
        "",
    )


def test_the_first_matching_rule_wins():
    rules = [
        {"pattern": "/data/special/", "owner_group": "special"},
        {"pattern": "/data/", "owner_group": "general"},
    ]
    mapping = parse({"rules": rules})

    assert mapping.place("/data/special/x.fits", "/data/special").owner_group == "special"
    assert mapping.place("/data/other/x.fits", "/data/other").owner_group == "general"


def test_a_rule_with_an_empty_access_group_list_gives_none_instead_of_the_default():
    mapping = parse(
        {
            "access_groups": ["staff"],
            "rules": [{"pattern": "/private/", "owner_group": "p1", "access_groups": []}],
        }
    )

    assert mapping.place("/private/x.nxs", "/private").access_groups == ()
    assert mapping.place("/public/x.nxs", "/public").access_groups == ("staff",)


def test_a_directory_source_matches_a_rule_written_with_a_trailing_slash():
    mapping = parse({"rules": [PROPOSAL_RULE]})

    placed = mapping.place("/data/2024/p123", "/data/2024/p123", directory=True)

    assert placed.owner_group == "p123"


def test_rules_can_choose_directory_grouping_for_their_paths():
    mapping = parse(
        {"group_by": "file", "rules": [{"pattern": "/frames/", "group_by": "directory"}]}
    )

    assert mapping.group_by_for("/frames/run1/f001.h5") == "directory"
    assert mapping.group_by_for("/data/x.nxs") == "file"


def test_a_storage_prefix_turns_the_local_folder_into_the_servers_path_and_host():
    mapping = parse(
        {
            "owner_group": "g",
            "storage": [
                {"prefix": "/mnt/dcache", "host": "https://dcache.example.org:2880",
                 "path": "/pnfs/example.org/data"},
            ],
        }
    )  # fmt: skip

    placed = mapping.place("/mnt/dcache/p1/a.nxs", "/mnt/dcache/p1")

    assert placed.source_folder == "/pnfs/example.org/data/p1"
    assert placed.source_folder_host == "https://dcache.example.org:2880"
    assert placed.download_url == "https://dcache.example.org:2880/pnfs/example.org/data/p1"


def test_the_longest_storage_prefix_wins_and_unmapped_folders_stay_local():
    mapping = parse(
        {
            "storage": [
                {"prefix": "/data/", "host": "root://xrootd.example.org:1094"},
                {"prefix": "/data/hot/", "host": "https://web.example.org"},
            ]
        }
    )

    assert mapping.place("/data/hot/x.h5", "/data/hot").source_folder_host == (
        "https://web.example.org"
    )
    assert mapping.place("/data/cold/x.h5", "/data/cold").download_url == (
        "root://xrootd.example.org:1094//data/cold"
    )
    local = mapping.place("/home/x.h5", "/home")
    assert (local.source_folder, local.source_folder_host, local.download_url) == (
        "/home",
        "",
        "file:///home",
    )


def test_a_prefix_matches_whole_folder_names_only():
    mapping = parse({"storage": [{"prefix": "/data", "host": "https://h"}]})

    assert mapping.place("/database/x.h5", "/database").source_folder_host == ""


def test_download_urls_quote_the_path_and_use_the_xrootd_double_slash():
    assert download_url("https://h:2880", "/p/a b", "x#1.nxs") == "https://h:2880/p/a%20b/x%231.nxs"
    assert download_url("root://x:1094", "/p", "f.h5") == "root://x:1094//p/f.h5"
    assert download_url("", "/p", "f.h5") == "file:///p/f.h5"


def test_a_changed_placement_has_another_digest():
    first = parse({"owner_group": "a"}).place("/x/f.h5", "/x")
    second = parse({"owner_group": "b"}).place("/x/f.h5", "/x")

    assert first.digest() != second.digest()
    assert first.digest() == parse({"owner_group": "a"}).place("/x/f.h5", "/x").digest()


def test_json_and_toml_mapping_files_read_the_same(tmp_path):
    (tmp_path / "m.json").write_text(
        json.dumps({"owner_group": "facility", "rules": [PROPOSAL_RULE]})
    )
    (tmp_path / "m.toml").write_text(
        'owner_group = "facility"\n'
        "[[rules]]\n"
        "pattern = '/data/(?P<year>\\d+)/(?P<proposal>p\\d+)/'\n"
        'owner_group = "{proposal}"\n'
        'access_groups = ["staff", "y{year}"]\n'
        'proposal_id = "{proposal}"\n'
    )

    from_json, from_toml = load(tmp_path / "m.json"), load(tmp_path / "m.toml")

    path = "/data/2024/p9/a.nxs"
    assert from_json.place(path, "/data/2024/p9") == from_toml.place(path, "/data/2024/p9")
    assert from_toml.place(path, "/data/2024/p9").owner_group == "p9"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rules": [{"pattern": "(", "owner_group": "g"}]}, "rules[0].pattern is not a regular"),
        ({"rules": [{"pattern": "/x/", "owner_group": "{nope}"}]}, "{nope} is not a named group"),
        ({"rules": [{"owner_group": "g"}]}, "rules[0].pattern is required"),
        ({"rules": [{"pattern": "/x/", "owners": "g"}]}, "unknown keys owners"),
        ({"owner_group": "{proposal}"}, "{proposal} is not a named group"),
        ({"group_by": "week"}, "group_by must be one of"),
        ({"storage": [{"prefix": "data/", "host": "h"}]}, "prefix must be an absolute path"),
        ({"access_groups": "staff"}, "access_groups must be a list of strings"),
        (["not", "an", "object"], "the mapping must be an object"),
    ],
)
def test_a_bad_mapping_is_refused_with_the_place_of_the_problem(config, message):
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse(config)


def test_an_unreadable_or_malformed_mapping_file_is_refused(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")

    with pytest.raises(MappingError, match="not valid JSON"):
        load(tmp_path / "bad.json")
    with pytest.raises(MappingError, match="cannot read mapping file"):
        load(tmp_path / "missing.toml")
