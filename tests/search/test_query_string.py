"""search.query.parse_query_string: the portal's search box. Pure, no database."""

from datetime import UTC, datetime

import pytest

from search.query import (
    DEFAULT_LIMIT,
    MAX_WINDOW,
    AnyOf,
    FieldFilter,
    QueryError,
    RangeFilter,
    ScientificCondition,
    parse_query_string,
)


def parse(q, **kwargs):
    return parse_query_string(q, **kwargs)


def only_condition(q) -> ScientificCondition:
    (condition,) = parse(q).scientific
    return condition


def only_filter(q):
    (f,) = parse(q).filters
    return f


def day(y, m, d, *rest):
    return datetime(y, m, d, *rest, tzinfo=UTC)


# --- free text -------------------------------------------------------------------------------
def test_words_phrases_and_exclusions_are_separated():
    r = parse('x-ray  diffraction "beam   time" -calibration -"dark field"')
    assert r.words == ("x-ray", "diffraction")
    assert r.phrases == ("beam time",)
    assert r.excluded == ("calibration", "dark field")
    assert r.filters == () and r.scientific == ()


def test_empty_query_is_an_empty_request():
    r = parse("   ")
    assert (r.words, r.filters, r.scientific, r.sort) == ((), (), (), None)
    assert parse(None) == r


def test_single_word_phrase_is_a_word():
    assert parse('"copper"').words == ("copper",)


def test_url_and_escaped_colon_stay_text():
    assert parse(r"https://example.org a\:b").words == ("https://example.org", "a:b")


def test_numbers_and_times_are_text():
    assert parse("12:30 1.5").words == ("12:30", "1.5")


def test_text_property_renders_the_free_text():
    assert parse('beam "two words" -dark').text == 'beam "two words" -dark'


# --- field filters ---------------------------------------------------------------------------
def test_field_value_filters_on_the_canonical_field():
    assert only_filter("ownerGroup:p-123") == FieldFilter("owner_group", ("p-123",))


def test_snake_case_camel_case_and_scicat_names_are_aliases():
    expected = FieldFilter("instrument", ("i1",))
    for name in ("instrument", "instrumentId", "instrument_ids", "INSTRUMENTIDS"):
        assert only_filter(f"{name}:i1") == expected


def test_comma_list_means_any_of():
    assert only_filter("type:raw,derived") == FieldFilter("type", ("raw", "derived"))


def test_quoted_value_keeps_spaces_and_commas():
    f = only_filter('keyword:"two words","a, b"')
    assert f == FieldFilter("keywords", ("two words", "a, b"))


def test_minus_excludes_a_field_value():
    assert only_filter("-keyword:calibration") == FieldFilter(
        "keywords", ("calibration",), negate=True
    )


def test_tilde_means_contains():
    assert only_filter("title~detector") == FieldFilter("dataset_name", ("detector",), "contains")


def test_boolean_field_takes_true_or_false():
    assert only_filter("isPublished:yes") == FieldFilter("is_published", (True,))
    assert only_filter("is_published:false") == FieldFilter("is_published", (False,))


def test_year_is_the_creation_year():
    assert only_filter("year:2021") == RangeFilter(
        "creation_time", day(2021, 1, 1), day(2022, 1, 1), "[)"
    )


def test_date_range_includes_the_whole_last_day():
    assert only_filter("creationTime:[2020-01-01 TO 2021-06-30]") == RangeFilter(
        "creation_time", day(2020, 1, 1), day(2021, 7, 1), "[)"
    )


def test_exclusive_date_range_excludes_the_named_days():
    assert only_filter("creationTime:{2020-01-01 TO 2020-01-31}") == RangeFilter(
        "creation_time", day(2020, 1, 2), day(2020, 1, 31), "[)"
    )


def test_date_comparisons_use_the_whole_period():
    assert only_filter("startTime>2021-06") == RangeFilter("start_time", day(2021, 7, 1), None)
    assert only_filter("startTime<=2021") == RangeFilter("start_time", None, day(2022, 1, 1), "[)")


def test_timestamp_is_an_instant_converted_to_utc():
    assert only_filter("endTime<2021-03-04T10:00:00+01:00") == RangeFilter(
        "end_time", None, day(2021, 3, 4, 9), "[)"
    )


def test_timestamp_without_zone_is_utc():
    assert only_filter("endTime>=2021-03-04T10:00").low == day(2021, 3, 4, 10)


def test_size_accepts_byte_units_attached_or_separated():
    expected = RangeFilter("size", 1_000_000_000, None, "(]")
    assert only_filter("size>1GB") == expected
    assert only_filter("size>1 GB") == expected
    assert only_filter("size>=2GiB").low == 2 * 1024**3
    assert only_filter("size<1.5kB").high == 1500


def test_number_field_equality_is_a_one_point_range():
    assert only_filter("numberOfFiles:10") == RangeFilter("number_of_files", 10, 10, "[]")


def test_open_range_end_is_a_star():
    assert only_filter("numberOfFiles:[5 TO *]") == RangeFilter("number_of_files", 5, None)


def test_sort_is_read_from_the_query():
    assert parse("beam sort:-date").sort == "-date"
    assert parse("sort:name").sort == "name"
    assert parse("beam").sort is None


def test_page_and_size_become_offset_and_limit():
    r = parse("beam", page="3", size=50)
    assert (r.offset, r.limit) == (100, 50)
    assert parse("").limit == DEFAULT_LIMIT


def test_facets_are_validated_and_canonical():
    assert parse("", facets=["techniques", "ownerGroup", "year"]).facets == (
        "technique",
        "owner_group",
        "year",
    )


# --- scientific metadata ---------------------------------------------------------------------
def test_comparison_with_separated_unit_converts_to_si():
    assert only_condition("wavelength<1.5 Å") == ScientificCondition(
        "wavelength", "LESS_THAN", 1.5, "Å", 1.5e-10, "m"
    )


def test_attached_unit_works_too():
    c = only_condition("temperature>=20degC")
    assert (c.relation, c.value, c.unit, c.value_si, c.unit_si) == (
        "GREATER_THAN_OR_EQUAL",
        20,
        "degC",
        293.15,
        "K",
    )


def test_capital_a_after_a_number_is_the_ampere():
    c = only_condition("current>0.4 A")
    assert (c.unit, c.unit_si) == ("A", "A")


def test_following_word_that_is_not_a_unit_stays_text():
    r = parse("temperature>300 sample")
    assert r.scientific[0].unit == ""
    assert r.words == ("sample",)


def test_english_words_after_a_number_are_not_units():
    r = parse("temperature>300 in water")
    assert r.scientific[0].unit == ""
    assert r.words == ("in", "water")


def test_range_keeps_both_bounds_and_si_values():
    assert only_condition("temperature:[250 K TO 300 K]") == ScientificCondition(
        "temperature", "RANGE", (250, 300), "K", (250, 300), "K", "[]"
    )


def test_range_unit_may_be_written_once():
    c = only_condition("energy:{1 TO 2 keV}")
    assert (c.value, c.unit, c.bounds) == ((1, 2), "keV", "()")
    assert c.value_si == pytest.approx((1.602176634e-16, 3.204353268e-16))


def test_half_open_range_is_a_comparison():
    assert only_condition("temperature:[250 K TO *]").relation == "GREATER_THAN_OR_EQUAL"
    assert only_condition("temperature:[* TO 300 K}").relation == "LESS_THAN"


def test_colon_number_is_numeric_equality_and_colon_text_is_string_equality():
    assert only_condition("run:42").relation == "EQUAL_TO_NUMERIC"
    assert only_condition('run:"42"') == ScientificCondition("run", "EQUAL_TO_STRING", "42")
    assert only_condition("state:solid") == ScientificCondition("state", "EQUAL_TO_STRING", "solid")


def test_equals_sign_is_numeric_equality_with_unit():
    c = only_condition("energy=5 keV")
    assert (c.relation, c.value, c.unit, c.unit_si) == ("EQUAL_TO_NUMERIC", 5, "keV", "J")


def test_tilde_on_metadata_is_contains_string():
    assert only_condition("formula~Cu").relation == "CONTAINS_STRING"


def test_condition_without_unit_keeps_the_raw_value():
    c = only_condition("counts>5")
    assert (c.value, c.unit, c.value_si, c.unit_si) == (5, "", None, None)


def test_nested_and_quoted_keys_are_metadata_paths():
    assert only_condition("sample.temperature.value>3").key == "sample.temperature.value"
    assert only_condition('"Ring current">0.4').key == "Ring current"


def test_quoting_a_field_name_searches_metadata_instead():
    r = parse('"type":fluorescence')
    assert r.filters == ()
    assert r.scientific == (ScientificCondition("type", "EQUAL_TO_STRING", "fluorescence"),)


def test_negated_condition():
    assert only_condition("-temperature>300 K").negate is True


def test_or_group_is_any_of_conditions():
    assert only_condition("(state:solid OR formula:Cu)") == AnyOf(
        (
            ScientificCondition("state", "EQUAL_TO_STRING", "solid"),
            ScientificCondition("formula", "EQUAL_TO_STRING", "Cu"),
        )
    )


def test_unit_before_closing_parenthesis_is_read():
    group = only_condition("(t>300 K OR p<1 bar)")
    assert [c.unit for c in group.conditions] == ["K", "bar"]


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "q, fragment",
    [
        ('beam "time', "unbalanced quote"),
        ("temperature:[250 K TO 300 K", "unbalanced '['"),
        ("(a:1 OR b:2", "unbalanced '('"),
        (") beam", "unbalanced ')'"),
        ("temperature:[300 TO 250]", "lower bound is above"),
        ("creationTime:[2021-01-01 TO 2020-01-01]", "lower bound is above"),
        ("temperature<warm", "not a number"),
        ("creationTime:2021-13-01", "not a date"),
        ("year:21", "year like 2021"),
        ('wavelength<"1.5 parsecs/fortnightx"', "unknown unit"),
        ("wavelength<1.5foo", "unknown unit"),
        ("description:copper", "cannot be used as a filter"),
        ("type>raw", "takes values"),
        ("sort:--date", "cannot sort by"),
        ("isPublished:maybe", "true or false"),
        ("size>huge", "not a size"),
        ("temperature:[250 K TO 300 degC]", "same unit"),
        ("state:solid,liquid", "one value"),
        ("(type:raw OR type:derived)", "cannot be combined with OR"),
        ("(beam OR light)", "only metadata conditions"),
        ("(a:1 b:2)", "write OR"),
        ("-(a:1 OR b:2)", "cannot be negated"),
        ("beam -", "'-' must be followed"),
        ("note: something", "nothing after 'note:'"),
        ("type:raw,", "must not end with ','"),
        ("sort:color", "cannot sort by"),
        ("sort:date sort:size", "twice"),
        ("temperature:[250 TO]", "[low TO high]"),
        ("temperature:[* TO *]", "at least one bound"),
        ('a:"x"y', "unexpected 'y'"),
        ('be"am', 'unexpected "'),
        ("x" * 3000, "longer than"),
    ],
)
def test_malformed_queries_raise_query_error_with_a_message(q, fragment):
    with pytest.raises(QueryError) as error:
        parse(q)
    assert fragment in error.value.message


def test_query_error_names_the_field():
    with pytest.raises(QueryError) as error:
        parse("temperature:[300 K TO 250 K]")
    assert error.value.field == "temperature"


@pytest.mark.parametrize(
    "page, size",
    [(0, None), ("x", None), (None, 0), (None, 1001), (None, "-5"), (MAX_WINDOW, 25), (1.5, None)],
)
def test_page_and_size_out_of_bounds_raise_query_error(page, size):
    with pytest.raises(QueryError):
        parse("beam", page=page, size=size)


def test_last_reachable_page_is_allowed():
    r = parse("beam", page=MAX_WINDOW // 100, size=100)
    assert r.offset + r.limit == MAX_WINDOW


def test_unknown_facet_is_an_error():
    with pytest.raises(QueryError) as error:
        parse("", facets=["colour"])
    assert error.value.field == "facets"


def test_every_example_in_the_syntax_help_parses_and_round_trips():
    import re as regex
    from pathlib import Path

    help_text = (Path(__file__).parents[2] / "docs" / "search-syntax.md").read_text()
    rows = [line for line in help_text.splitlines() if line.startswith("| `")]
    examples = [ex for row in rows for ex in regex.findall(r"`([^`]+)`", row.split(" | ")[0])]
    assert len(examples) > 25
    for example in examples:
        request = parse(example)
        assert request.to_query_string(), example
        assert parse(request.to_query_string()) == request, example
