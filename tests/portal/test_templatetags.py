"""Markup built by the portal's template helpers: escaped text, marks only where meant."""

from portal.pages.common import human_size, spdx_url
from portal.pages.search import year_chart
from portal.templatetags.portal_tags import MAX_NODES, highlight, metadata_tree


def test_highlight_keeps_only_the_marks():
    snippet = "a &lt;b&gt; <mark>word</mark> <script>x</script> <mark onclick=x>y</mark>"

    assert str(highlight(snippet)) == (
        "a &lt;b&gt; <mark>word</mark> &lt;script&gt;x&lt;/script&gt; "
        "&lt;mark onclick=x&gt;y"  # a stray closing mark just ends nothing
    )


def test_highlight_of_nothing_is_empty():
    assert str(highlight(None)) == ""


def test_metadata_tree_escapes_keys_and_values():
    html = str(metadata_tree({"<k>": "<v>", "n": {"<q>": {"v": "<1>", "u": "<u>"}}}))

    assert "<k>" not in html and "<v>" not in html and "<u>" not in html
    assert "&lt;k&gt;" in html and "&lt;1&gt; &lt;u&gt;" in html


def test_metadata_tree_is_cut_for_huge_metadata():
    html = str(metadata_tree({f"k{n}": n for n in range(MAX_NODES + 10)}))

    assert "Shortened" in html
    assert f">k{MAX_NODES + 5}<" not in html


def test_empty_metadata_says_so():
    assert "None recorded" in str(metadata_tree({}))


def test_human_sizes_use_decimal_units():
    assert [human_size(n) for n in (0, 999, 1000, 1_234_567, 5 * 10**12)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "1.2 MB",
        "5.0 TB",
    ]


def test_spdx_links_only_for_licence_ids():
    assert spdx_url("CC-BY-4.0") == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert spdx_url("see the facility's data policy") == ""


def test_year_chart_fills_gaps_and_scales_bars():
    chart = year_chart([("2020", 4), ("2018", 2)], {"q": "saxs"})

    assert [(bar["year"], bar["count"], bar["height"]) for bar in chart["bars"]] == [
        (2018, 2, 40),
        (2019, 0, 0),
        (2020, 4, 80),
    ]
    assert chart["bars"][1]["url"] == ""
    assert chart["bars"][2]["url"].endswith("?q=saxs+year%3A2020")


def test_no_chart_without_years():
    assert year_chart([], {}) is None


def test_facet_entries_escape_values_and_mark_the_active_one():
    from portal.templatetags.portal_tags import facet_entries

    html = str(
        facet_entries(
            [
                {"active": False, "url": '/?q=a"b&c', "label": "<i>x</i>", "count": 3},
                {"active": True, "url": "/", "label": "kw", "count": 1200},
            ]
        )
    )

    assert html == (
        '<li><a href="/?q=a&quot;b&amp;c">&lt;i&gt;x&lt;/i&gt;</a> <span class="count">3</span>'
        "</li>\n"
        '<li class="active"><a href="/" aria-current="true" title="Remove this filter">✓ kw</a>'
        ' <span class="count">1200</span></li>\n'
    )
