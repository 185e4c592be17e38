"""Rollouts through the real stack: a TorchServe serving the demo (1.0) and its candidate (2.0),
the UI under gunicorn, and `toxmon rollout` driving both, as an operator runs it.

The module has its own TorchServe: promoting changes TorchServe's default version, which
the other tests' shared server must keep.
"""

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from support.http import metric_sum, scrape
from support.servers import CANDIDATE_VERSION, TOXMON, running_torchserve, running_ui
from toxmon import torchserve_process
from toxicity_ui.policy import Policy
from toxicity_ui.routing import Routing, in_canary, write_routing_file

PRIMARY_VERSION = "1.0"
# Short texts near the thresholds, where two demo builds tend to score apart (one flags a label the
# other does not), and texts they agree on; which is which is read from the versions themselves.
TEXTS = ["I hate you", "get lost", "go to hell", "you suck", "You are a stupid idiot",
         "Thanks for the lovely photo", "The museum opens at nine tomorrow.", "what a moron",
         "muslims are welcome here", "I could kill for a coffee"]
NEAR = 0.05  # a score this close to a threshold may land on either side from one pass to the next


@pytest.fixture(scope="module")
def stack(demo_store, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("rollout")
    with running_torchserve(demo_store, run_dir / "torchserve", candidate=True) as torchserve, \
            running_ui(torchserve.ports, run_dir / "ui") as ui:
        # Ready means the primary's worker; the candidate's loads beside it.
        torchserve_process.wait_ready(torchserve.management_url, 120, version=CANDIDATE_VERSION)
        env = {**os.environ, "TORCHSERVE_MANAGEMENT_URL": torchserve.management_url,
               "ROUTING_FILE": str(run_dir / "ui" / "rollout" / "routing.json"), "TOXMON_URL": ui.url}
        yield torchserve, ui, env


def rollout(env, *args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([TOXMON, "rollout", *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(1.2)  # every UI worker re-reads the routing file within a second
    return result


def ask(ui, text, client=None):
    headers = {"X-Client-Id": client} if client else {}
    reply = requests.post(f"{ui.url}/api/v1/toxicity", json={"text": text}, headers=headers, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def ask_many(ui, clients, text="Thanks for the lovely photo"):
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda client: ask(ui, text, client)["model_version"], clients))


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_torchserve_serves_both_versions_and_the_primary_by_default(stack):
    torchserve, ui, env = stack
    versions = requests.get(f"{torchserve.management_url}/models/toxic-bert/all", timeout=10).json()
    workers = {item["modelVersion"]: [w["status"] for w in item["workers"]] for item in versions}
    assert workers == {PRIMARY_VERSION: ["READY", "READY"], CANDIDATE_VERSION: ["READY"]}
    assert ask(ui, "hello")["model_version"] == PRIMARY_VERSION
    status = rollout(env, "status").stdout
    assert f"version {PRIMARY_VERSION}: primary (default)" in status and "routing: primary" in status


def test_canary_at_0_and_100_percent(stack):
    _, ui, env = stack
    rollout(env, "canary", "0")
    assert set(ask_many(ui, [f"zero-{n}" for n in range(30)])) == {PRIMARY_VERSION}
    rollout(env, "canary", "100")
    assert set(ask_many(ui, [f"all-{n}" for n in range(30)])) == {CANDIDATE_VERSION}


def test_canary_share_is_kept_over_hundreds_of_clients_each_on_its_own_side(stack):
    _, ui, env = stack
    rollout(env, "canary", "30")
    clients = [f"client-{n}" for n in range(300)]
    answered = ask_many(ui, clients)
    routing = Routing("canary", CANDIDATE_VERSION, 30)
    expected = [CANDIDATE_VERSION if in_canary(f"id:{client}", routing) else PRIMARY_VERSION for client in clients]
    assert answered == expected
    share = answered.count(CANDIDATE_VERSION) / len(answered)
    assert 0.22 <= share <= 0.38, share
    # Sticky: a client asking again and again stays where it is.
    for client in clients[:5]:
        assert len(set(ask_many(ui, [client] * 6))) == 1


def comparisons(ui) -> dict:
    text = scrape(f"{ui.url}/metrics")
    return {outcome: metric_sum(text, "toxicity_ui_rollout_comparisons_total", outcome=outcome)
            for outcome in ("agree", "disagree", "failed", "dropped")}


def direct_scores(torchserve, text, version):
    reply = requests.post(f"{torchserve.predictions_url}/{version}", json={"text": text}, timeout=60)
    return reply.json()["scores"]


def test_shadow_compares_every_call_and_counts_disagreements_by_label_and_direction(stack):
    torchserve, ui, env = stack
    rollout(env, "shadow")
    before_text = scrape(f"{ui.url}/metrics")
    before = comparisons(ui)
    answers = [ask(ui, text) for text in TEXTS]
    assert {answer["model_version"] for answer in answers} == {PRIMARY_VERSION}
    assert wait_for(lambda: sum(comparisons(ui)[o] - before[o] for o in ("agree", "disagree")) == len(TEXTS)), \
        comparisons(ui)
    after_text = scrape(f"{ui.url}/metrics")
    assert comparisons(ui)["failed"] == before["failed"] and comparisons(ui)["dropped"] == before["dropped"]
    assert metric_sum(after_text, "toxicity_ui_rollout_score_difference_count", label="toxic") - \
        metric_sum(before_text, "toxicity_ui_rollout_score_difference_count", label="toxic") == len(TEXTS)

    # What the two versions say when asked directly, judged by the policy's review thresholds.
    review = Policy.load().review
    certain, possible, certain_texts, possible_texts = {}, {}, set(), set()
    for text in TEXTS:
        primary, candidate = direct_scores(torchserve, text, PRIMARY_VERSION), direct_scores(torchserve, text, CANDIDATE_VERSION)
        for label, threshold in review.items():
            near = min(abs(primary[label] - threshold), abs(candidate[label] - threshold)) < NEAR
            if (primary[label] >= threshold) != (candidate[label] >= threshold) or near:
                direction = "candidate_flags" if candidate[label] > primary[label] else "candidate_clears"
                possible[(label, direction)] = possible.get((label, direction), 0) + 1
                possible_texts.add(text)
                if not near:
                    certain[(label, direction)] = certain.get((label, direction), 0) + 1
                    certain_texts.add(text)
    assert sum(certain.values()) >= 3, "the demo builds should disagree on these texts"
    for label, direction in set(certain) | set(possible):
        counted = metric_sum(after_text, "toxicity_ui_rollout_disagreements_total", label=label,
                             direction=direction) - metric_sum(before_text, "toxicity_ui_rollout_disagreements_total",
                                                               label=label, direction=direction)
        assert certain.get((label, direction), 0) <= counted <= possible.get((label, direction), 0), (label, direction)

    kept = subprocess.run([TOXMON, "rollout", "samples", "--json", "--limit", "100"], env=env,
                          capture_output=True, text=True, timeout=60)
    rows = [json.loads(line) for line in kept.stdout.splitlines()]
    # Kept: every text the versions surely disagree on, and none they surely agree on.
    assert certain_texts <= {row["text"] for row in rows if row["text"] in TEXTS} <= possible_texts, rows
    for row in rows:
        assert row["primary_version"] == PRIMARY_VERSION and row["candidate_version"] == CANDIDATE_VERSION
    log = (ui.run_dir / "ui.log").read_text()
    assert not [text for text in certain_texts if text in log], "a user's text reached the log"


def surely_disagree(torchserve, text, review) -> bool:
    primary, candidate = direct_scores(torchserve, text, PRIMARY_VERSION), direct_scores(torchserve, text, CANDIDATE_VERSION)
    return any((primary[label] >= threshold) != (candidate[label] >= threshold)
               and min(abs(primary[label] - threshold), abs(candidate[label] - threshold)) >= NEAR
               for label, threshold in review.items())


def files_holding(directory, marker: str) -> list:
    found = []
    for path in directory.rglob("*"):
        if path.is_file() and marker.encode() in path.read_bytes():
            found.append(path)
    return found


def test_a_do_not_store_comment_is_compared_and_written_nowhere(stack):
    """Perspective's doNotStore: compared in the shadow like any call (counted), but no sample,
    no log line, no file of the stack holds its text; the same kind of text without the flag is
    kept, so the search below would find one."""
    torchserve, ui, env = stack
    rollout(env, "shadow")
    review = Policy.load().review
    pairs = [(f"{text} (ref kept{number:03d})", f"{text} (ref hidden{number:03d})") for number, text in enumerate(TEXTS)]
    pairs = [(kept, hidden) for kept, hidden in pairs
             if surely_disagree(torchserve, kept, review) and surely_disagree(torchserve, hidden, review)]
    assert pairs, "the demo builds should disagree on some of these texts"
    before = comparisons(ui)
    for kept, hidden in pairs:
        for text, do_not_store in ((kept, False), (hidden, True)):
            reply = requests.post(f"{ui.url}/v1alpha1/comments:analyze", timeout=60, json={
                "comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, "doNotStore": do_not_store})
            assert reply.status_code == 200, reply.text
    assert wait_for(lambda: comparisons(ui)["disagree"] - before["disagree"] >= 2 * len(pairs)), comparisons(ui)
    for kept, hidden in pairs:
        marker = hidden.rsplit("(", 1)[1]
        assert files_holding(torchserve.run_dir, marker) == [] and files_holding(ui.run_dir, marker) == []
        assert files_holding(ui.run_dir, kept.rsplit("(", 1)[1]), "the stored text should be in the samples"


def test_a_candidate_without_workers_never_reaches_the_user(stack):
    """Shadow: every comparison fails, no answer does. Canary at 100 %: the primary answers all."""
    torchserve, ui, env = stack
    rollout(env, "shadow")
    scale = f"{torchserve.management_url}/models/toxic-bert/{CANDIDATE_VERSION}"
    assert requests.put(scale, params={"min_worker": 0, "max_worker": 0, "synchronous": "true"},
                        timeout=60).status_code == 200
    try:
        before = comparisons(ui)
        answers = [ask(ui, text) for text in TEXTS[:6]]
        assert {answer["model_version"] for answer in answers} == {PRIMARY_VERSION}
        assert wait_for(lambda: comparisons(ui)["failed"] - before["failed"] == 6), comparisons(ui)
        # A canary at 100 % whose candidate lost its workers (the command refuses to start one on a
        # candidate without workers, so the routing is written as it stood when they went):
        # every answer is the primary's, none an error, each fallback counted.
        write_routing_file(env["ROUTING_FILE"], Routing("canary", CANDIDATE_VERSION, 100))
        time.sleep(1.2)
        metrics_before = scrape(f"{ui.url}/metrics")
        answers = [ask(ui, text, client=f"client-{i}") for i, text in enumerate(TEXTS[:6])]
        assert {answer["model_version"] for answer in answers} == {PRIMARY_VERSION}
        metrics_after = scrape(f"{ui.url}/metrics")

        def candidate_answers(exposition, **labels):
            return metric_sum(exposition, "toxicity_ui_version_calls_total", version=CANDIDATE_VERSION,
                              role="candidate", purpose="answer", **labels)
        failed = (candidate_answers(metrics_after) - candidate_answers(metrics_after, outcome="ok")) - \
            (candidate_answers(metrics_before) - candidate_answers(metrics_before, outcome="ok"))
        assert failed == 6
        assert metric_sum(metrics_after, "toxicity_ui_rollout_routed_total", mode="canary", role="primary") - \
            metric_sum(metrics_before, "toxicity_ui_rollout_routed_total", mode="canary", role="primary") == 6
        write_routing_file(env["ROUTING_FILE"], Routing("shadow", CANDIDATE_VERSION))
        time.sleep(1.2)
    finally:
        requests.put(scale, params={"min_worker": 1, "max_worker": 1, "synchronous": "true"}, timeout=120)
    assert wait_for(lambda: any(w["status"] == "READY" for w in requests.get(
        scale, timeout=10).json()[0]["workers"]), timeout=120)


def test_the_command_refuses_what_it_cannot_do(stack):
    _, _, env = stack
    assert rollout(env, "canary", "150", check=False).returncode == 2
    missing = rollout(env, "canary", "10", "--candidate", "9.9", check=False)
    assert missing.returncode == 1 and "version 9.9 is not loaded" in missing.stderr
    primary = rollout(env, "shadow", "--candidate", PRIMARY_VERSION, check=False)
    assert primary.returncode == 1 and "already the primary" in primary.stderr
    unreachable = subprocess.run([TOXMON, "rollout", "shadow", "--management-url", "http://127.0.0.1:9"], env=env,
                                 capture_output=True, text=True, timeout=60)
    assert unreachable.returncode == 1 and "cannot be reached" in unreachable.stderr


def test_abort_and_promote_through_the_command(stack):
    torchserve, ui, env = stack
    rollout(env, "canary", "100")
    assert ask(ui, "hi", "someone")["model_version"] == CANDIDATE_VERSION
    aborted = rollout(env, "abort")
    assert "was canary" in aborted.stdout
    assert set(ask_many(ui, [f"after-abort-{n}" for n in range(10)])) == {PRIMARY_VERSION}

    rollout(env, "shadow")
    promoted = rollout(env, "promote")
    assert f"version {CANDIDATE_VERSION} is the primary (was {PRIMARY_VERSION})" in promoted.stdout
    default = requests.get(f"{torchserve.management_url}/models/toxic-bert", timeout=10).json()[0]
    assert default["modelVersion"] == CANDIDATE_VERSION
    assert set(ask_many(ui, [f"after-promote-{n}" for n in range(10)])) == {CANDIDATE_VERSION}
    assert "routing: primary" in rollout(env, "status").stdout
    # Rolling back is promoting the previous version.
    rollout(env, "promote", "--candidate", PRIMARY_VERSION)
    assert ask(ui, "hi")["model_version"] == PRIMARY_VERSION
