"""The vectorised engine equals the plain per-assessment loop on the real questionnaire."""

import math

import pandas as pd

from scoring.answers import encode_frame
from scoring.catalog import default_questionnaire
from scoring.compiled import compile_questionnaire
from scoring.engine import batch_frame, score_batch
from scoring.reference import loop_score_row
from scoring.simulate import simulate


def test_engine_matches_the_loop_on_simulated_assessments():
    for depth in ("expres", "completo"):
        compiled = compile_questionnaire(default_questionnaire(), depth)
        frame = simulate(compiled, 300, seed=11).astype(str)
        frame = frame.replace({"nan": ""})
        encoded, problems, _ = encode_frame(compiled, frame)
        assert not problems
        table = batch_frame(compiled, score_batch(compiled, encoded))
        for i, row in enumerate(frame.to_dict(orient="records")):
            expected = loop_score_row(compiled, row)
            for key, value in expected.items():
                got = table.iloc[i][key]
                if value is None or value == "":
                    assert got == "" or pd.isna(got), (depth, i, key, got)
                elif isinstance(value, str):
                    assert got == value, (depth, i, key)
                else:
                    assert math.isclose(float(got), value, rel_tol=1e-9, abs_tol=1e-9), (
                        depth,
                        i,
                        key,
                        got,
                        value,
                    )
