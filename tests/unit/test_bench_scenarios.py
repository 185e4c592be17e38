"""The serving-path stage of `toxmon bench` (not in the suite's smoke run: it starts two more
servers): its workloads and the ratios it reports, from rows worked out by hand."""

from toxmon.bench import scenarios


def row(name, texts_per_s, cpu_ms_per_text=10.0):
    return {"scenario": name, "concurrency": 8, "texts_per_call": 1, "texts_per_s": texts_per_s,
            "p50_ms": 1.0, "p95_ms": 2.0, "errors": 0, "cpu_ms_per_text": cpu_ms_per_text}


def test_each_ratio_divides_the_rows_it_names():
    rows = [row("mixed, grouped", 30.0), row("mixed, padded", 10.0), row("8 clients, shipped", 24.0, 5.0),
            row("32 clients, shipped", 32.0), row("5,000 characters", 2.0, 50.0),
            row("5,000 characters, explained", 1.0, 400.0)]
    ratios = scenarios.scenario_ratios(rows)
    assert ratios == {"grouped / padded, mixed lengths (texts/s)": 3.0, "8 / 32 clients, shipped": 0.75,
                      "5,000 characters / short (CPU per text)": 10.0,
                      "explained / plain, 5,000 characters (CPU per text)": 8.0}
    table = "\n".join(scenarios.markdown(rows, ratios))
    assert "| mixed, grouped | 8 | 1 | 30.0 |" in table and "| 8 / 32 clients, shipped | 0.75 |" in table


def test_the_workloads_are_the_same_from_run_to_run():
    texts = [f"sentence {i} of the benchmark set." for i in range(20)]
    mixed = scenarios.mixed_texts(texts)
    assert mixed == scenarios.mixed_texts(texts) and len(mixed) == 60
    assert sum(text in scenarios.SHORT_REPLIES for text in mixed) == 30  # half are short replies
    long = scenarios.long_texts(texts)
    assert all(4_850 <= len(text) <= 5_000 for text in long) and len(set(long)) == len(texts)
