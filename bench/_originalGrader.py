# The original Python task's grader, re-implemented as a speed baseline from its description
# (/work/shared/original/NOTES.md, "As a speed baseline"): per workspace, check that the files exist, compare the
# test file's text, look for "sqrt", "**" or "0.5" in the source, then run the original test script in a fresh
# python3 subprocess (30 s timeout); passed iff the script exits 0.
#
# Usage: python3 bench/_originalGrader.py EXPECTED_TEST_FILE WORKSPACE... — prints one JSON line per workspace,
# {"workspace", "passed", "feedback"}, grading them one after the other in this process, as its grade_solution did.
import json
import subprocess
import sys
from pathlib import Path

# The original test_dropout.py: one 10000x128 N(0,1) sample with seed 42, the variance ratio at p = 0.3, 0.5, 0.7
# within 10 %, eval identity with allclose, the zero fraction of an all-ones 1000x100 input at p = 0.5 within
# 0.5 +- 0.1; exit code 1 on a failure.
ORIGINAL_TEST = '''
import sys
import numpy as np
from dropout import VarianceStabilizedDropout

def test_variance_preservation():
    np.random.seed(42)
    x = np.random.randn(10000, 128)
    ok = True
    for p in (0.3, 0.5, 0.7):
        layer = VarianceStabilizedDropout(dropout_rate=p)
        layer.train()
        y = layer(x)
        ratio = np.var(y) / np.var(x)
        print(f"p={p}: variance ratio {ratio:.3f}")
        if abs(ratio - 1.0) > 0.10:
            ok = False
    return ok

def test_eval_mode():
    layer = VarianceStabilizedDropout(dropout_rate=0.5)
    layer.eval()
    x = np.random.randn(100, 50)
    return np.allclose(layer(x), x)

def test_training_mode():
    layer = VarianceStabilizedDropout(dropout_rate=0.5)
    layer.train()
    x = np.ones((1000, 100))
    zeros = np.mean(layer(x) == 0)
    print(f"zero fraction {zeros:.3f}")
    return abs(zeros - 0.5) <= 0.1

results = [test_variance_preservation(), test_eval_mode(), test_training_mode()]
if all(results):
    print("ALL TESTS PASSED")
    sys.exit(0)
print("SOME TESTS FAILED")
sys.exit(1)
'''


def grade_solution(workspace, expected_test):
    ws = Path(workspace)
    source_file = ws / 'dropout.py'
    test_file = ws / 'test_dropout.py'
    if not source_file.exists():
        return {'passed': False, 'feedback': 'dropout.py not found', 'output': ''}
    if test_file.exists() and test_file.read_text() != expected_test:
        return {'passed': False, 'feedback': 'test_dropout.py was modified', 'output': ''}
    source = source_file.read_text()
    if 'sqrt' not in source and '**' not in source and '0.5' not in source:
        return {'passed': False, 'feedback': 'no square root in the scaling', 'output': ''}
    try:
        run = subprocess.run([sys.executable, '-c', ORIGINAL_TEST], cwd=ws, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return {'passed': False, 'feedback': 'tests timed out', 'output': ''}
    passed = run.returncode == 0
    return {'passed': passed, 'feedback': 'all tests passed' if passed else 'tests failed', 'output': run.stdout + run.stderr}


def main():
    expected_test = Path(sys.argv[1]).read_text()
    for ws in sys.argv[2:]:
        r = grade_solution(ws, expected_test)
        print(json.dumps({'workspace': ws, 'passed': r['passed'], 'feedback': r['feedback']}), flush=True)


main()
