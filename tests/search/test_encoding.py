import random
import re

import pytest

from search.backends.encoding import (
    COARSE,
    coarse_cover,
    escape,
    interval_regex,
    key_bounds,
    number_key,
)

NUMBERS = [0.0, -0.0, 1e-10, -1e-10, 5, 5.5, -3, 1e300, -1e300, 2, 2.0000000001, 7e-11]


def test_number_keys_sort_like_the_numbers():
    rng = random.Random(7)
    numbers = NUMBERS + [rng.choice([1, -1]) * 10 ** rng.uniform(-30, 30) for _ in range(500)]

    by_key = sorted(numbers, key=number_key)

    assert by_key == sorted(numbers)
    assert number_key(-0.0) == number_key(0.0)


@pytest.mark.parametrize("seed", range(5))
def test_interval_regex_matches_exactly_the_numbers_in_the_interval(seed):
    rng = random.Random(seed)
    numbers = NUMBERS + [rng.uniform(-100, 100) for _ in range(200)]
    for _ in range(60):
        low, high = sorted(rng.sample(numbers, 2))
        low_in, high_in = rng.random() < 0.5, rng.random() < 0.5
        keys = key_bounds(low, high, low_in, high_in)
        pattern = re.compile(interval_regex(*keys)) if keys else None

        found = {n for n in numbers if pattern and pattern.fullmatch(number_key(n))}

        expected = {
            n
            for n in numbers
            if (low < n or (low_in and n == low)) and (n < high or (high_in and n == high))
        }
        assert found == expected


def test_open_ends_and_empty_intervals():
    assert key_bounds(None, None, True, True) == ("0" * 16, "f" * 16)
    assert key_bounds(1.0, 1.0, True, False) is None
    pattern = re.compile(interval_regex(*key_bounds(0.0, None, False, True)))
    assert pattern.fullmatch(number_key(1e-300)) and not pattern.fullmatch(number_key(0.0))


def test_escape_keeps_keys_literal():
    key = "Ring current (mA) [x.y]+*?"

    assert re.fullmatch(escape(key), key)
    assert not re.fullmatch(escape("a.b"), "axb")


@pytest.mark.parametrize(
    "low, high",
    [(253.0, 280.0), (1e-10, 2.5e-10), (-5.0, 7.5), (0.0, 0.0), (2.5, 2.5000001), (-1e300, 1e300)],
)
def test_coarse_cover_splits_an_interval_exactly(low, high):
    first, last = key_bounds(low, high, True, True)
    inner, ends = coarse_cover(first, last)

    probes = [low, high, (low + high) / 2, low * 0.999, high * 1.001, low - 1, high + 1, 0.0, 3e5]
    for value in probes:
        key = number_key(value)
        covered = bool(inner) and inner[0] <= key[:COARSE] <= inner[1]
        covered = covered or any(a <= key <= b for a, b in ends)
        assert covered == (low <= value <= high), value
    for a, b in ends:
        assert a[:COARSE] == b[:COARSE]
