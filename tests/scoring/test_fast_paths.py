"""The fast paths of the engine give exactly what the general ones give: decoding text kept in
Arrow (what ``puntuar`` reads) against the same cells as Python objects, the packed sort of
the plan against ``np.lexsort``, the plan in blocks against the plan of one assessment, and
the practice scores in blocks against one block."""

import numpy as np
import pandas as pd
import pytest

from scoring import engine, plan
from scoring.answers import _plain_numbers, encode_frame
from scoring.catalog import DEFAULT_ID, QUESTIONNAIRE_DIR
from scoring.compiled import compile_questionnaire
from scoring.engine import batch_frame, score_batch
from scoring.loader import load_questionnaire
from scoring.simulate import simulate

PRACTICE_CELLS = [" 3", "3 ", "NO_SE", "No_Aplica", "4.0", "5", "-1", "x", "", None, "１", "3\n"]
PRACTICE_CELLS += ["no se", "0", "  ", "True", "03", "+3", "nan", "no_aplica", "no_se", "2"]
NUMBER_CELLS = ["1.234", "1,5", "-0", "-0.0", "  12", "12 ", "1e5", "inf", "abc", "", "no_se"]
NUMBER_CELLS += ["-0.5", "0.125", "12.345", "１２", "1 234,5", "1234567890123456", "-", ".", "5."]
NUMBER_CELLS += [".5", "--1", "1.2.3", "-12.5", "007", "999.999", "-1.000", "NaN", None, "1_000"]
PLAIN_NUMBER_CELLS = ["1.234", "", "no_se", "12.5", "-3", "0.125", None, "999.999", "-12.345"]
SOURCE_CELLS = ["Medido", " estimado", "x", "", None, "no_se", "NO_SE", "medido", "estimado"]
FLOOR_CELLS = ["SI", " si", "x", "", None, "no_se", "en_tramite", "no_corresponde", "No", "si"]


@pytest.fixture(scope="module")
def compiled():
    loaded = load_questionnaire(QUESTIONNAIRE_DIR / f"{DEFAULT_ID}.yaml")
    return compile_questionnaire(loaded, "completo")


def _hostile_text(compiled, numbers, seed):
    """Simulated answers as CSV text, with hostile cells sprinkled over every kind of column."""
    frame = simulate(compiled, 600, seed=seed)
    text = frame.astype(str).astype(object).where(frame.notna(), None)
    rng = np.random.default_rng(seed)

    def sprinkle(columns, cells, count):
        for column in columns:
            if column in text.columns:
                rows = rng.choice(len(text), count, replace=False)
                for row, cell in zip(rows, rng.choice(len(cells), count), strict=True):
                    text.iat[row, text.columns.get_loc(column)] = cells[cell]

    sprinkle([q.id for q in compiled.practice][:20], PRACTICE_CELLS, 40)
    sprinkle([q.id + "__motivo" for q in compiled.practice], ["", None, "  razón  ", "x\ny"], 30)
    sprinkle([q.id for q in compiled.numbers][:20], numbers, 25)
    sprinkle([q.id + "__fuente" for q in compiled.numbers], SOURCE_CELLS, 25)
    sprinkle([q.id for q in compiled.requirements], FLOOR_CELLS, 25)
    return text


@pytest.mark.parametrize("numbers", [NUMBER_CELLS, PLAIN_NUMBER_CELLS])
@pytest.mark.parametrize("strict", [True, False])
def test_arrow_text_decodes_like_python_objects(compiled, numbers, strict):
    objects = _hostile_text(compiled, numbers, seed=len(numbers))
    arrow = objects.astype("str")  # as the command line reads a CSV
    assert isinstance(arrow[compiled.practice[0].id].dtype, pd.StringDtype)
    fast, fast_problems, fast_keep = encode_frame(compiled, arrow, strict_rows=strict)
    slow, slow_problems, slow_keep = encode_frame(compiled, objects, strict_rows=strict)
    assert [str(p) for p in fast_problems] == [str(p) for p in slow_problems]
    assert np.array_equal(fast_keep, slow_keep)
    assert fast.practice.tobytes() == slow.practice.tobytes()
    assert fast.numbers.tobytes() == slow.numbers.tobytes()
    assert fast.number_sources.tolist() == slow.number_sources.tolist()
    assert fast.requirements.tolist() == slow.requirements.tolist()
    assert fast.choices.keys() == slow.choices.keys()
    for key in fast.choices:
        assert fast.choices[key].tolist() == slow.choices[key].tolist()
    assert {k: v.tolist() for k, v in fast.reasons.items()} == {
        k: v.tolist() for k, v in slow.reasons.items()
    }
    pd.testing.assert_frame_equal(
        batch_frame(compiled, score_batch(compiled, fast)),
        batch_frame(compiled, score_batch(compiled, slow)),
        check_exact=True,
    )


def test_plain_decimals_read_as_pandas_reads_them():
    rng = np.random.default_rng(5)
    digits = rng.integers(1, 16, 20_000)
    cells = []
    for count in digits:
        text = "".join(rng.choice(list("0123456789"), count))
        point = rng.integers(0, count + 1)
        if 0 < point < count:
            text = text[:point] + "." + text[point:]
        cells.append(("-" if rng.random() < 0.2 else "") + text)
    column = pd.Series(cells + ["", None, "no_se"], dtype="str")
    plain = _plain_numbers(column)
    if plain is None:  # "-0…" somewhere: the general path; make the cells plain and retry
        column = column.str.replace(r"^-0", "-1", regex=True)
        plain = _plain_numbers(column)
    values, blank, dont_know = plain
    expected = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    ambiguous = column.str.match(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$").to_numpy(dtype=bool)
    expected[ambiguous] = np.nan
    assert values.tobytes() == expected.tobytes()
    assert blank.tolist() == [False] * len(cells) + [True, True, False]
    assert dont_know.tolist() == [False] * (len(cells) + 2) + [True]
    for other in (["1", "-0"], ["1", " 2"], ["1e5"], ["+1"], ["1."], ["1234567890123456.5"]):
        assert _plain_numbers(pd.Series(other, dtype="str")) is None


def test_packed_order_is_the_lexsort_order():
    rng = np.random.default_rng(11)
    for _ in range(30):
        n, m, t = int(rng.integers(1, 300)), int(rng.integers(1, 70)), int(rng.integers(1, 9))
        first = rng.integers(0, 4, (n, m))
        boosted = rng.choice([0.0, 12.5, 12.5 + 1e-10, 33.333333333, 1000.0, 1012.5], (n, m))
        steps = rng.integers(0, 5, (n, m)) * 1024 + rng.integers(0, 3, m)
        theme_scores = rng.choice([0.0, 25.0, 50.0, 66.666666667, 100.0], (n, t))
        themes = rng.integers(0, t, m)
        weight_rank = rng.integers(0, 3, m)
        draw = rng.integers(0, 4, (n, m))  # few distinct draws: ties down to the position
        position = rng.choice(np.arange(m) * 2 + 20_000 * (rng.random() < 0.3), m, False)
        keys = (first, boosted, steps, theme_scores, themes, weight_rank, draw, position)
        expected = plan._lexsort_order(*keys)
        packed = plan._packed_order(*(k.copy() for k in keys))
        assert packed is not None
        assert np.array_equal(packed, expected)


def test_plan_in_blocks_is_the_plan_of_each_assessment(compiled, monkeypatch):
    encoded, _, _ = encode_frame(compiled, simulate(compiled, 300, seed=5), strict_rows=False)
    batch = score_batch(compiled, encoded)
    whole = plan.plan_table(compiled, batch, encoded)
    monkeypatch.setattr(plan, "ROWS_PER_BLOCK", 7)
    assert np.array_equal(plan.plan_table(compiled, batch, encoded), whole)
    for row in range(0, 300, 17):
        ranking = plan.practice_ranking(compiled, batch, encoded.practice[[row]], rows=[row])
        ids = [compiled.practice[p].id for p in ranking.order[0, : ranking.count[0]]]
        gaps = [g for g in whole[row] if g in {q.id for q in compiled.requirements}]
        assert list(whole[row]) == (gaps + ids + [""] * 5)[:5]


def test_practice_scores_in_blocks_match_one_block(compiled, monkeypatch):
    encoded, _, _ = encode_frame(compiled, simulate(compiled, 500, seed=9), strict_rows=False)
    whole = batch_frame(compiled, score_batch(compiled, encoded))
    full = score_batch(compiled, encoded)
    monkeypatch.setattr(engine, "BLOCK", 64)
    blocks = score_batch(compiled, encoded)
    pd.testing.assert_frame_equal(batch_frame(compiled, blocks), whole, check_exact=True)
    for kind in ("themes", "routes", "dimensions", "indices"):
        for band in ("point", "high"):
            left = getattr(getattr(blocks, band), kind)
            assert left.tobytes() == getattr(getattr(full, band), kind).tobytes()


def test_group_means_of_one_assessment_are_those_of_the_batch():
    # ``einsum`` added a single assessment's items in another order than a batch's.
    rng = np.random.default_rng(2)
    for _ in range(200):
        items, n = int(rng.integers(1, 12)), int(rng.integers(2, 9))
        membership = rng.choice([0.0, 1.0, 7.5, 2.0, 0.3, 0.001, 1.25], (3, items))
        values = rng.random((items, n)) * 100
        present = rng.random((items, n)) < 0.8
        values[~present] = 0.0
        batch = engine._grouped_means(values, present, membership)
        for column in range(n):
            alone = engine._grouped_means(
                values[:, column : column + 1].copy(), present[:, column : column + 1], membership
            )
            assert alone[:, 0].tobytes() == batch[:, column].tobytes()
