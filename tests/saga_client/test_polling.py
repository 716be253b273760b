"""A waiting client asks often at first, then less and less often, never less often than its bound."""

from itertools import islice, pairwise

import pytest

from saga_client.polling import GROWTH, LONGEST, pauses


def test_the_pauses_grow_from_the_first_to_the_longest_and_stay_there() -> None:
    seen = list(islice(pauses(0.02), 12))

    assert seen[0] == 0.02
    assert seen[1] == pytest.approx(0.02 * GROWTH)
    assert all(later >= earlier for earlier, later in pairwise(seen))
    assert seen[-3:] == [LONGEST] * 3


def test_a_first_pause_longer_than_the_bound_stays_as_asked() -> None:
    assert list(islice(pauses(0.5), 3)) == [0.5, 0.5, 0.5]


def test_a_wait_of_ten_seconds_asks_a_few_times_a_second_not_fifty() -> None:
    asked, waited = 0, 0.0
    for pause in pauses(0.02):
        if waited >= 10.0:
            break
        asked, waited = asked + 1, waited + pause

    assert asked < 50  # a fixed 20 ms pause would have asked 500 times
