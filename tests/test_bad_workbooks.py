"""The workbook half of the bad-input corpus of test_bad_input.py (xlsx and ods cases), in a module of its own
so that pytest-xdist can run the two halves on different workers."""

import pytest
from test_bad_input import WORKBOOK_CASES, fails_clearly_and_keeps_last_good_outputs


@pytest.mark.parametrize("case", WORKBOOK_CASES, ids=[case.id for case in WORKBOOK_CASES])
def test_bad_workbook_fails_clearly_and_keeps_last_good_outputs(
    built_copy_for_the_warehouse_job, built_fingerprint, case
):
    fails_clearly_and_keeps_last_good_outputs(built_copy_for_the_warehouse_job, built_fingerprint, case)
