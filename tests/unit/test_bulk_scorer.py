"""The bulk scorer's order, bounds and every refusal, against a stand-in of the UI's API
(tests/support/fake_api.py); tests/integration/test_bulk_scoring.py runs the same command
against the real stack."""

import pytest

from support.fake_api import FakeApi, result_for
from toxmon.bulk import REORDER_CALLS, BulkScorer, ServiceStopped
from toxmon.texts import InputRow


@pytest.fixture
def api():
    with FakeApi() as server:
        yield server


def rows_of(count: int, problem_every: int = 0):
    for number in range(1, count + 1):
        if problem_every and number % problem_every == 0:
            yield InputRow(number, None, "unreadable")
        else:
            yield InputRow(number, f"comment number {number}")


def test_answers_come_back_in_input_order_once_each_with_the_right_scores(api):
    api.shuffle_delays = True
    scorer = BulkScorer(api.base_url, texts_per_call=16, in_flight=6)
    pairs = list(scorer.score_rows(rows_of(1000, problem_every=37)))
    assert [row.number for row, _ in pairs] == list(range(1, 1001))
    for row, outcome in pairs:
        if row.problem:
            assert outcome is None
        else:
            assert outcome["scores"]["toxic"] == result_for(row.text)["scores"]["toxic"]
            assert outcome["model"] == "fake" and outcome["demo"] is True
    sent = [text for call in api.calls for text in call]
    assert sorted(sent) == sorted(f"comment number {n}" for n in range(1, 1001) if n % 37)  # each once, none unread
    assert max(map(len, api.calls)) == 16


def test_rows_are_read_only_as_far_as_the_calls_in_flight_need(api):
    """Memory stays flat: the input is never read more than the reorder bound ahead of the output."""
    api.shuffle_delays = True
    pulled = [0]

    def counting():
        for row in rows_of(3000):
            pulled[0] += 1
            yield row

    scorer = BulkScorer(api.base_url, texts_per_call=8, in_flight=4)
    ahead = []
    for given, _ in enumerate(scorer.score_rows(counting()), 1):
        ahead.append(pulled[0] - given)
    bound = 4 * REORDER_CALLS * 8 + 8
    assert max(ahead) <= bound, max(ahead)


def test_calls_hold_at_most_the_characters_a_call_may_have(api):
    scorer = BulkScorer(api.base_url, texts_per_call=64, in_flight=2, max_chars_per_call=20_000)
    rows = [InputRow(n, "x" * 6000 + f" {n}") for n in range(1, 8)]
    assert [row.number for row, _ in scorer.score_rows(iter(rows))] == list(range(1, 8))
    assert max(sum(map(len, call)) for call in api.calls) <= 20_000
    # calls in flight arrive in either order: the packing is what counts
    assert sorted(len(call) for call in api.calls) == [1, 3, 3]


def test_a_call_refused_for_its_size_is_split_until_it_fits(api):
    api.max_texts = 5
    scorer = BulkScorer(api.base_url, texts_per_call=32, in_flight=2)
    pairs = list(scorer.score_rows(rows_of(64)))
    assert all(isinstance(outcome, dict) for _, outcome in pairs) and len(pairs) == 64
    assert {len(call) for call in api.calls} >= {32, 16, 8, 4}  # halved until 4 texts fit


def test_a_text_too_slow_to_score_is_its_rows_error_and_its_neighbours_are_scored(api):
    api.slow_word = "number 13"
    scorer = BulkScorer(api.base_url, texts_per_call=16, in_flight=2)
    pairs = list(scorer.score_rows(rows_of(32)))
    failed = [(row.number, outcome) for row, outcome in pairs if not isinstance(outcome, dict)]
    assert [number for number, _ in failed] == [13]
    assert failed[0][1].code == "model_timeout" and "504" in str(failed[0][1])
    assert len(pairs) == 32


def test_a_texts_own_refusal_in_the_results_is_that_rows_error(api):
    scorer = BulkScorer(api.base_url, texts_per_call=4, in_flight=1)
    rows = [InputRow(1, "fine 1"), InputRow(2, "   "), InputRow(3, "fine 3")]
    outcomes = [outcome for _, outcome in scorer.score_rows(iter(rows))]
    assert isinstance(outcomes[0], dict) and isinstance(outcomes[2], dict)
    assert outcomes[1].code == "empty_text" and str(outcomes[1]).startswith("empty_text: ")


def test_429_is_waited_out_and_every_row_scored(api):
    api.refuse = (429, "rate_limited", 3)
    scorer = BulkScorer(api.base_url, texts_per_call=4, in_flight=2)
    pairs = list(scorer.score_rows(rows_of(20)))
    assert all(isinstance(outcome, dict) for _, outcome in pairs) and len(pairs) == 20
    assert scorer.retries_honoured == 3


@pytest.mark.parametrize("refusal, words", [((503, "overloaded", None), "503 overloaded"),
                                            ((401, "api_key_missing", None), "401 api_key_missing"),
                                            ((502, "model_server_error", None), "502 model_server_error")])
def test_a_service_that_cannot_go_on_stops_the_run_after_a_complete_prefix(api, refusal, words):
    scorer = BulkScorer(api.base_url, texts_per_call=4, in_flight=2, max_attempts=2)
    given = []
    api.refuse = None
    stream = scorer.score_rows(rows_of(400))
    for _ in range(8):
        given.append(next(stream))
    api.refuse = refusal
    with pytest.raises(ServiceStopped, match=words):
        for pair in stream:
            given.append(pair)
    numbers = [row.number for row, _ in given]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) < 400  # a prefix, in order


def test_an_answer_with_the_wrong_number_of_results_stops_the_run(api):
    api.wrong_count = True
    with pytest.raises(ServiceStopped, match="3 results for 4 texts"):
        list(BulkScorer(api.base_url, texts_per_call=4, in_flight=1).score_rows(rows_of(8)))


def test_results_that_are_neither_scores_nor_errors_stop_the_run(api):
    api.garbage_results = True
    with pytest.raises(ServiceStopped, match="neither scores nor errors"):
        list(BulkScorer(api.base_url, texts_per_call=4, in_flight=1).score_rows(rows_of(8)))


def test_an_unreachable_service_stops_the_run():
    from support.servers import free_port
    scorer = BulkScorer(f"http://127.0.0.1:{free_port()}", texts_per_call=4, in_flight=2, max_wait=0.1)
    with pytest.raises(ServiceStopped, match="cannot connect"):
        list(scorer.score_rows(rows_of(8)))


def test_the_list_interface_gives_every_unscored_text_the_stop_as_its_error(api):
    api.refuse = (503, "overloaded", None)
    outcomes = BulkScorer(api.base_url, texts_per_call=4, in_flight=1, max_attempts=1).score_all(
        ["a 1", None, "b 2"])
    assert outcomes[1] is None and "503 overloaded" in str(outcomes[0]) and outcomes[0].code == "unreachable"


@pytest.mark.parametrize("texts, in_flight", [(0, 4), (65, 4), (16, 0)])
def test_sizes_out_of_range_are_refused(texts, in_flight):
    with pytest.raises(ValueError):
        BulkScorer("http://127.0.0.1:1", texts_per_call=texts, in_flight=in_flight)
