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
    assert ratios == {"grouped / padded, mixed lengths (texts/s)": 3.0,
                      "5,000 characters / short (CPU per text)": 10.0,
                      "explained / plain, 5,000 characters (CPU per text)": 8.0}
    table = "\n".join(scenarios.markdown(rows, ratios))
    assert "| mixed, grouped | 8 | 1 | 30.0 |" in table and "| 5,000 characters / short (CPU per text) | 10.0 |" in table


def batching_row(setting, round_, concurrency, texts_per_s):
    return {"setting": setting, "round": round_, "concurrency": concurrency, "texts_per_s": texts_per_s,
            "p50_ms": 1.0, "p95_ms": 2.0, "cpu_ms_per_text": 40.0}


def test_the_batching_ab_means_each_setting_over_its_rounds_and_divides_8_by_32():
    from toxmon.bench import batching
    rows = [batching_row("shipped", 1, 8, 40.0), batching_row("previous", 1, 8, 20.0),
            batching_row("shipped", 1, 32, 50.0), batching_row("previous", 1, 32, 52.0),
            batching_row("previous", 2, 8, 30.0), batching_row("shipped", 2, 8, 44.0),
            batching_row("previous", 2, 32, 48.0), batching_row("shipped", 2, 32, 50.0)]
    result = batching.summary(rows)
    assert result["means"] == {"shipped @ 8": 42.0, "shipped @ 32": 50.0, "previous @ 8": 25.0, "previous @ 32": 50.0}
    assert result["ratios"] == {"8 / 32 clients, shipped batching": 0.84, "8 / 32 clients, previous batching": 0.5,
                                "shipped / previous batching, 8 clients": 1.68,
                                "shipped / previous batching, 32 clients": 1.0}
    table = "\n".join(batching.markdown(rows, result, {"batchSize": 16}))
    assert "| 8 / 32 clients, shipped batching | 0.84 |" in table and "| previous | 2 | 32 | 48.0 |" in table


def test_the_headline_takes_each_figure_from_the_rows_it_names():
    from toxmon.bench.run import headline
    runs = [{"name": "tuned-torchserve", "precision": "int8", "concurrency": 32, "rps": 60.0},
            {"name": "tuned-ui", "precision": "int8", "concurrency": 32, "rps": 54.0, "ui_cpu_ms_per_request": 3.5}]
    report = {"runs": runs, "hardware_limit": {"texts_per_second_limit_int8": 80.0},
              "bulk": {"bulk_client": {"texts_per_s": 57.0}, "one_text_client": {"texts_per_s": 19.0},
                       "service_best": 60.0, "ratios": {"bulk client / service best at 32 clients": 0.95}},
              "batching_summary": {"ratios": {"8 / 32 clients, shipped batching": 0.84}}}
    figures = headline(report)
    assert figures["tuned int8 at 32 clients / hardware limit"] == 0.75
    assert figures["UI / direct, int8 at 32 clients"] == 0.9
    assert figures["UI CPU ms per call, int8 at 32 clients"] == 3.5
    assert figures["bulk client / service best at 32 clients"] == 0.95
    assert figures["8 / 32 clients, shipped batching"] == 0.84 and figures["one-text client texts/s"] == 19.0


def test_the_workloads_are_the_same_from_run_to_run():
    texts = [f"sentence {i} of the benchmark set." for i in range(20)]
    mixed = scenarios.mixed_texts(texts)
    assert mixed == scenarios.mixed_texts(texts) and len(mixed) == 60
    assert sum(text in scenarios.SHORT_REPLIES for text in mixed) == 30  # half are short replies
    long = scenarios.long_texts(texts)
    assert all(4_850 <= len(text) <= 5_000 for text in long) and len(set(long)) == len(texts)
