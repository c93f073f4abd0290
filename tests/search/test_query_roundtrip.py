"""SearchRequest.to_query_string() round trips, and the parsers' robustness: whatever the input,
each parser returns a SearchRequest or raises QueryError, never anything else.

The random inputs come from a small seeded generator (no hypothesis dependency), so every run
checks the same few thousand cases and a failure is reproducible.
"""

import dataclasses
import random

import pytest

from search.query import (
    DEFAULT_LIMIT,
    RELATIONS,
    QueryError,
    SearchRequest,
    parse_panosc,
    parse_query_string,
    parse_scicat,
)


def round_trips(request: SearchRequest) -> bool:
    portal_part = dataclasses.replace(request, facets=(), offset=0, limit=DEFAULT_LIMIT)
    return parse_query_string(portal_part.to_query_string()) == portal_part


@pytest.mark.parametrize(
    "q",
    [
        "beam",
        'x-ray "beam time" -calibration -"dark field"',
        'type:raw,derived -keyword:"two words" ownerGroup:p-1 isPublished:false',
        'title~detector -pid:"20.500/a b"',
        "year:2021 creationTime:[2020-01-01 TO 2021-06-30] startTime:2021-06",
        "endTime>2021-03-04T10:00:00.123456+01:00 createdAt<=2020 updatedAt<2020-02-03",
        "creationTime:{2020-01-01T10:00:00Z TO 2020-02-01T00:00:00Z]",
        "size>1GB packedSize:[1 GiB TO 3000000001] numberOfFiles:10 dataQualityMetrics>=0.5",
        "wavelength<1.5 Å temperature:[250 K TO 300 K] energy=5 keV pH:7 count>5 %",
        'state:solid run:"42" formula~Cu "Ring current">0.4 A "type":x x.y.z<=-1e-10',
        '(state:solid OR formula:Cu OR -t>=3 K) length<"5 in" q:{1 TO 2 1/A}',
        r"https://example.org a\:b \-dash sort:-date",
        "sort:relevance",
    ],
)
def test_query_string_renders_back_to_an_equal_request(q):
    assert round_trips(parse_query_string(q))


def test_rendering_is_canonical_and_readable():
    q = "Temperature:[250 K TO 300 K]  type:raw  beam year:2021 size>1000000000 sort:-date"
    assert parse_query_string(q).to_query_string() == (
        "beam type:raw year:2021 size>1GB Temperature:[250 K TO 300 K] sort:-date"
    )


def test_url_params_carry_page_and_size():
    request = parse_query_string("beam", page=3, size=50)
    params = request.to_url_params()
    assert params == {"q": "beam", "page": "3", "size": "50"}
    assert parse_query_string(**params) == request
    assert parse_query_string("beam").to_url_params() == {"q": "beam"}


def test_scicat_and_panosc_requests_render_as_query_strings():
    scicat = parse_scicat(
        {
            "text": 'a "b c" -d',
            "keywords": ["x", "y z"],
            "creationTime": {"begin": "2020-01-01T10:00:00Z", "end": "2020-12-31"},
            "size": {"min": 1e300},
            "scientific": [
                {"lhs": "and", "relation": "RANGE", "rhs": [1, 2], "unit": "in"},
                {"lhs": "a b.c", "relation": "EQUAL_TO_STRING", "rhs": 5},
                {"lhs": "q", "relation": "LESS_THAN", "rhs": 2, "unit": "J/(kg*K)"},
            ],
        },
        limits={"order": "size:desc"},
    )
    panosc = parse_panosc(
        {
            "where": {"title": {"nlike": "%x,y%"}, "or": [{"pid": "-a"}, {"pid": "*"}]},
            "include": [
                {
                    "relation": "parameters",
                    "scope": {"where": {"name": "s", "value": {"inq": ["solid", "1"]}}},
                }
            ],
        }
    )
    assert round_trips(scicat)
    assert round_trips(panosc)


# --- robustness ------------------------------------------------------------------------------
_WORDS = (
    "beam x-ray é ü 日本 type keyword year size sort creationTime temperature sample.t "
    "pH isPublished title 2021 2021-06 2021-06-30 2021-06-30T10:00:00Z 1.5 -3 1e5 1e999 "
    "K Å keV GB GiB in A a OR TO true date -date https://x * . _ $ % & ' 0 99999999999999999999"
)
FRAGMENTS = [
    *_WORDS.split(),
    *' ""-()[]{}:=<>~,\\\t\n\x00',
    *("<=", ">=", " ", " ", " ", " TO ", " OR "),
]

# Pieces of well-formed queries, so that a good share of the random inputs parse.
TEMPLATES = (
    "{w}",
    '"{w} {w}"',
    "-{w}",
    "type:{w}",
    "keyword:{w},{w}",
    "year:{y}",
    "creationTime:[{y}-01-01 TO {y}-12-31]",
    "size>{n}{b}",
    "{k}<{n} {u}",
    "{k}:[{n} TO {n} {u}]",
    "{k}:{w}",
    "{k}={n}{u}",
    "({k}:{w} OR {k}>{n} {u})",
    "sort:{s}",
)


def random_query(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12)))
    parts = []
    for _ in range(rng.randint(1, 5)):
        parts.append(
            rng.choice(TEMPLATES).format(
                w=rng.choice(["beam", "Cu", "a b", "x:y", "-", "1", '"', "é"]),
                y=rng.choice(["2019", "2021", "999", "20x1"]),
                n=rng.choice(["1", "-2.5", "1e3", "0", "x", ""]),
                b=rng.choice(["", "GB", " MiB", "zB"]),
                k=rng.choice(["temperature", "a.b", "type", '"x y"', "1x"]),
                u=rng.choice(["K", "Å", "keV", "in", "zorg", "", "degC"]),
                s=rng.choice(["date", "-size", "name", "colour"]),
            )
        )
    return " ".join(parts)


def test_random_query_strings_parse_or_raise_query_error_and_round_trip():
    rng = random.Random(20240601)
    parsed = 0
    for _ in range(4000):
        q = random_query(rng)
        try:
            request = parse_query_string(q)
        except QueryError as error:
            assert error.message
            continue
        parsed += 1
        assert round_trips(request), q
    assert parsed > 1000  # the round-trip check is not vacuous


_KEYS = (
    "text mode scientific userGroups lhs relation rhs unit begin end min max type keywords "
    "creationTime size isPublished ownerGroup where include relation scope name value and or "
    "eq neq gt lte between inq nin like ilike limit skip order query pid title creationDate "
    "isPublic parameters techniques $or _id colour"
)
KEYS = _KEYS.split()
_STRINGS = (
    "raw GREATER_THAN RANGE EQUAL_TO_STRING CONTAINS_STRING K keV zorg 2021-01-01 2021 "
    "creationTime:desc title ASC parameters techniques %Cu% a..b 1.5 x"
)
STRINGS = [*_STRINGS.split(), "", " ", "\x00"]


def random_json(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 3 or roll < 0.35:
        return rng.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                7,
                10**400,
                1.5,
                1e308,
                float("nan"),
                float("inf"),
                rng.choice(STRINGS),
            ]
        )
    if roll < 0.55:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def maybe_junk(rng: random.Random, good):
    """Mostly the well-formed value, sometimes garbage in its place."""
    return random_json(rng, 2) if rng.random() < 0.15 else good


def random_scicat(rng: random.Random) -> dict:
    day = rng.choice(["2020-01-01", "2021-06-30T10:00:00Z", "2021", "", None, "x"])
    pieces = {
        "text": rng.choice(['beam "a b" -c', "type:raw", "", "x\\"]),
        "type": rng.choice(["raw", ["raw", "derived"], [], 5]),
        "keywords": rng.choice([["a b", "c,d"], "-x", ["*"]]),
        "creationTime": {"begin": day, "end": rng.choice(["2022-02-02", None, day])},
        "size": {"min": rng.choice([0, 1.5, 10**20, None]), "max": rng.choice([None, 2**40])},
        "isPublished": rng.choice([True, False]),
        "mode": rng.choice([{}, {"datasetlifecycle.retrievable": False}, {"pid": ["a", "b"]}]),
        "scientific": [random_condition(rng) for _ in range(rng.randint(0, 2))],
    }
    keys = rng.sample(sorted(pieces), rng.randint(1, len(pieces)))
    return {key: maybe_junk(rng, pieces[key]) for key in keys}


def random_condition(rng: random.Random) -> dict:
    return {
        "lhs": rng.choice(["t", "a.b", "type", "x y", "", 5, "a.$b", "1st"]),
        "relation": rng.choice([*RELATIONS, "BIGGER", 3]),
        "rhs": rng.choice([1, -2.5, "3", "x", [1, 2], [2, 1], [1, "x"], None, True, 10**400]),
        "unit": rng.choice(["", "K", "Å", "in", "zorg", None, 5, "m]", "%", "J/(kg*K)"]),
    }


def random_parameter_where(rng: random.Random, depth: int = 0) -> dict:
    if depth < 2 and rng.random() < 0.3:
        key = rng.choice(["and", "or"])
        return {key: [random_parameter_where(rng, depth + 1) for _ in range(rng.randint(1, 2))]}
    where = {"name": rng.choice(["t", "energy", "state", {"inq": ["a", "b"]}])}
    value = rng.choice(
        [
            5,
            "solid",
            {"lt": 80},
            {"between": [1, 2]},
            {"gte": 1, "lt": 3},
            {"inq": [1, 2]},
            {"ilike": "%Cu%"},
            {"neq": "x"},
            {"nlike": "%a,b%"},
        ]
    )
    where["value"] = maybe_junk(rng, value)
    if rng.random() < 0.5:
        where["unit"] = rng.choice(["K", "celsius", "eV", "zorg"])
    return where


def random_panosc(rng: random.Random) -> dict:
    where = {
        "title": rng.choice(["t", {"like": "%a%"}, {"nilike": "b%"}, {"inq": ["x", "y"]}]),
        "pid": rng.choice(["p/1", {"nin": ["a", "-b"]}, {"neq": "*"}]),
        "isPublic": rng.choice([True, {"neq": False}]),
        "size": rng.choice([{"gt": 10}, {"between": [1, 2**30]}, {"lte": "1GB"}]),
        "creationDate": rng.choice([{"gte": "2020-01-01"}, {"between": ["2020", "2021"]}]),
        "text": "copper",
        "or": [{"pid": "a"}, {"pid": "b"}],
    }
    keys = rng.sample(sorted(where), rng.randint(0, 3))
    include = [
        {"relation": "parameters", "scope": {"where": random_parameter_where(rng)}}
        for _ in range(rng.randint(0, 2))
    ]
    if rng.random() < 0.3:
        include.append({"relation": "techniques", "scope": {"where": {"name": "x-ray"}}})
    return {
        "where": {key: maybe_junk(rng, where[key]) for key in keys},
        "include": include,
        "query": rng.choice([None, "beam time", '"x y" -z']),
        "limit": rng.choice([None, 0, 10]),
        "order": rng.choice([None, "title DESC", ["creationDate ASC"]]),
    }


@pytest.mark.parametrize(
    "parser, generate",
    [
        (parse_scicat, random_json),
        (parse_panosc, random_json),
        (parse_scicat, random_scicat),
        (parse_panosc, random_panosc),
    ],
)
def test_random_json_parses_or_raises_query_error_and_round_trips(parser, generate):
    rng = random.Random(7)
    parsed = 0
    for _ in range(2500):
        value = generate(rng)
        try:
            request = parser(value)
        except QueryError as error:
            assert error.message
            continue
        assert isinstance(request, SearchRequest)
        assert round_trips(request), value
        parsed += bool(request.filters or request.scientific)
    if generate is not random_json:
        assert parsed > 500  # the round-trip check is not vacuous


def test_random_scicat_conditions_parse_or_raise_query_error():
    rng = random.Random(11)
    parsed = 0
    for _ in range(2000):
        condition = random_condition(rng)
        try:
            request = parse_scicat({"scientific": [condition]})
        except QueryError:
            continue
        parsed += 1
        assert round_trips(request), condition
    assert parsed > 100
