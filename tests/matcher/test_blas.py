"""FAISS's BLAS kernel: chosen only when the processor supports it, never over the user, reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twin.matcher import blas

SKYLAKEX_FEATURES = frozenset({"AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL"})
HASWELL_FEATURES = frozenset({"AVX", "AVX2", "FMA3"})
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("machine", "features", "expected"),
    [
        ("x86_64", SKYLAKEX_FEATURES | HASWELL_FEATURES, "SkylakeX"),
        ("AMD64", SKYLAKEX_FEATURES | HASWELL_FEATURES, "SkylakeX"),
        ("x86_64", HASWELL_FEATURES, "Haswell"),
        # AVX-512 without BW/VL/DQ (Knights Landing) cannot run SkylakeX kernels
        ("x86_64", frozenset({"AVX512F", "AVX512CD"}) | HASWELL_FEATURES, "Haswell"),
        ("x86_64", frozenset({"AVX", "AVX2"}), None),  # no FMA: leave it to OpenBLAS
        ("x86_64", frozenset(), None),
        ("aarch64", SKYLAKEX_FEATURES | HASWELL_FEATURES, None),
        ("arm64", frozenset({"NEON"}), None),
    ],
)
def test_choose_coretype_only_what_the_processor_supports(machine, features, expected) -> None:
    assert blas.choose_coretype(machine, features) == expected


def test_user_value_is_never_overridden() -> None:
    choice = blas.decide_coretype({"OPENBLAS_CORETYPE": "Haswell"}, "x86_64", SKYLAKEX_FEATURES)
    assert (choice.coretype, choice.decided_by) == ("Haswell", "user")
    inherited = {"OPENBLAS_CORETYPE": "Haswell", "TWIN_CHOSE_OPENBLAS_CORETYPE": "Haswell"}
    again = blas.decide_coretype(inherited, "x86_64", SKYLAKEX_FEATURES)
    assert (again.coretype, again.decided_by) == ("SkylakeX", "twin")
    auto = blas.decide_coretype({}, "aarch64", frozenset())
    assert (auto.coretype, auto.decided_by) == (None, "openblas")


def test_cpuinfo_flags_are_read(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx avx2 fma avx512f avx512bw\n\n")
    assert blas.cpuinfo_features(cpuinfo) == {"AVX", "AVX2", "FMA3", "AVX512F", "AVX512BW"}
    assert blas.cpuinfo_features(tmp_path / "missing") == frozenset()


def test_report_names_the_kernel_in_use() -> None:
    info = blas.blas_kernel_info()
    assert info["faiss_blas_architecture"]
    assert info["faiss_openmp_threads"] == info["usable_cores"]
    assert info["numpy_blas_threads"] in (1, None)  # one pool only: numpy's is held to one thread
    choice = info["coretype_choice"]
    if choice["decided_by"] in ("twin", "user"):
        assert info["faiss_blas_architecture"].lower() == choice["coretype"].lower()
    assert info["faiss_blas_architecture"] in blas.kernel_summary()
    json.dumps(info)


def test_chosen_kernel_matches_numpy_numerically() -> None:
    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((3000, 512), dtype=np.float32)
    queries = rng.standard_normal((300, 512), dtype=np.float32)
    index = blas.faiss.IndexFlatIP(512)
    index.add(matrix)
    scores, rows = index.search(queries, 4)
    exact = queries.astype(np.float64) @ matrix.astype(np.float64).T
    np.testing.assert_allclose(scores, np.sort(exact, axis=1)[:, ::-1][:, :4], rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(rows[:, 0], exact.argmax(axis=1))
    out = np.empty(3000, dtype=np.float32)
    blas.matrix_vector_product(matrix, queries[0], out)
    np.testing.assert_allclose(out, exact[0], rtol=1e-5, atol=1e-4)
    assert blas.matrix_vector_product.available


def _kernel_in_fresh_process(env: dict[str, str], code: str = "") -> dict[str, object]:
    script = (
        "import json, warnings; warnings.simplefilter('ignore')\n"
        f"{code}\n"
        "from twin.matcher import blas_kernel_info\n"
        "print(json.dumps(blas_kernel_info()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    info: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return info


def test_user_setting_reaches_openblas_in_a_fresh_process() -> None:
    info = _kernel_in_fresh_process({"OPENBLAS_CORETYPE": "Prescott"})
    assert info["faiss_blas_architecture"] == "Prescott"
    assert info["coretype_choice"] == {
        "coretype": "Prescott",
        "decided_by": "user",
        "reason": "OPENBLAS_CORETYPE=Prescott was set by the user",
    }


def test_faiss_imported_first_is_reported_not_fixed() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env["OPENBLAS_CORETYPE"] = ""
    info = _kernel_in_fresh_process(env, code="import faiss")
    choice = info["coretype_choice"]
    assert isinstance(choice, dict)
    if blas.choose_coretype(os.uname().machine, blas.cpu_features()) is not None:
        assert choice["decided_by"] == "openblas"
        assert "imported before" in choice["reason"]
