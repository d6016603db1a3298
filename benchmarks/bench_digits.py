"""The digits pipeline, cached, as a whole process: zenrun against Hamilton and plain Python.

    python benchmarks/bench_digits.py            # 7 runs of each, medians
    python benchmarks/bench_digits.py --repeat 11

The workload is the seed's: load the digits data set and split it, fit an SVC, score it
on the held-out part. Four scripts, each run as ``python script.py`` in a fresh process,
one after the other in every round (so that load on the machine hits them alike):

- **plain Python** recomputes everything, every time (no cache to consult);
- **Hamilton** (``sf-hamilton``, ``Builder().with_cache()``), its cache warmed by one run;
- **zenrun, Python API**: ``pipeline_digits().run()``, the store warmed by one run;
- **zenrun, CLI**: ``zenrun pipelines/`` on a project holding the same pipeline.

Every figure is the wall time (and, below it, the CPU time: what the process cost even
when other work shares the machine) of the whole process (interpreter start, imports of
scikit-learn and the framework, the cache look-ups, reading the accuracy back), median of
``--repeat`` rounds. Each script prints the accuracy, which is checked to be the same.
Hamilton is not a zenrun dependency: ``pip install sf-hamilton`` to include it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMON = """
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC
"""

PLAIN = (
    COMMON
    + """
digits = load_digits()
data = digits.images.reshape((len(digits.images), -1))
X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
model = SVC(gamma=0.001).fit(X_train, y_train)
print(float(model.score(X_test, y_test)))
"""
)

HAMILTON_MODULE = (
    COMMON
    + """
import numpy as np


def data() -> dict:
    digits = load_digits()
    flat = digits.images.reshape((len(digits.images), -1))
    X_train, X_test, y_train, y_test = train_test_split(flat, digits.target, test_size=0.2, shuffle=False)
    return {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test}


def model(data: dict) -> SVC:
    return SVC(gamma=0.001).fit(data["X_train"], data["y_train"])


def accuracy(model: SVC, data: dict) -> float:
    return float(model.score(data["X_test"], data["y_test"]))
"""
)

HAMILTON = """
import sys
from hamilton import driver

import digits_nodes

dr = driver.Builder().with_modules(digits_nodes).with_cache(path=sys.argv[1]).build()
print(dr.execute(["accuracy"])["accuracy"])
"""

PIPELINE = (
    COMMON
    + """
import numpy as np
from sklearn.base import ClassifierMixin

from zenrun import Output, pipeline, step


@step
def digits_data_loader() -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
    return X_train, X_test, y_train, y_test


@step
def svc_trainer(X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    return SVC(gamma=0.001).fit(X_train, y_train)


@step
def evaluator(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> float:
    return float(model.score(X_test, y_test))


@pipeline
def pipeline_digits():
    X_train, X_test, y_train, y_test = digits_data_loader()
    evaluator(svc_trainer(X_train, y_train), X_test, y_test)
"""
)

API = """
from pipelines.pipeline_digits import pipeline_digits

run = pipeline_digits().run()
print(run.steps["evaluator"].output.read())
"""


def _env() -> dict[str, str]:
    # bytecode cached as users have it; the project importable as a script's directory is
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _zenrun() -> list[str]:
    exe = shutil.which("zenrun")
    return [exe] if exe else [sys.executable, "-m", "zenrun"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds; medians are shown (default 7)")
    args = parser.parse_args()
    have_hamilton = importlib.util.find_spec("hamilton") is not None
    with tempfile.TemporaryDirectory(prefix="zenrun-bench-digits-") as tmp:
        root = Path(tmp)
        (root / "pipelines").mkdir()
        (root / "pipelines" / "pipeline_digits.py").write_text(PIPELINE)
        (root / "pyproject.toml").write_text('[tool.zenrun]\nstore = ".zenrun"\n')
        (root / "api.py").write_text(API)
        (root / "plain.py").write_text(PLAIN)
        (root / "digits_nodes.py").write_text(HAMILTON_MODULE)
        (root / "hamilton_run.py").write_text(HAMILTON)
        env = {**_env(), "ZENRUN_STORE": str(root / ".zenrun")}
        commands = {
            "plain Python, recomputing": [sys.executable, "plain.py"],
            "zenrun, Python API, cached": [sys.executable, "api.py"],
            "zenrun pipelines/, cached": [*_zenrun(), "pipelines/", "-q"],
        }
        if have_hamilton:
            commands["Hamilton, cached"] = [sys.executable, "hamilton_run.py", str(root / "hamilton-cache")]
        times: dict[str, list[float]] = {label: [] for label in commands}
        cpu: dict[str, list[float]] = {label: [] for label in commands}
        outputs: dict[str, str] = {}
        for round_ in range(args.repeat + 1):  # round 0 warms the caches (and the .pyc files)
            for label, command in commands.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
                elapsed = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if proc.returncode != 0:
                    raise SystemExit(f"{label} failed:\n{proc.stdout}\n{proc.stderr}")
                if round_:
                    times[label].append(elapsed)
                    cpu[label].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                if "zenrun pipelines" not in label:
                    outputs[label] = proc.stdout.strip().splitlines()[-1]
        if len(set(outputs.values())) != 1:
            raise SystemExit(f"the accuracies differ: {outputs}")
        start = [sys.executable, "-c", "import sklearn.svm, sklearn.datasets, sklearn.model_selection"]
        imports = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run(start, check=True, env=env)
            imports.append(time.perf_counter() - started)

    for what, figures in (("wall", times), ("CPU (user + system)", cpu)):
        med = {label: statistics.median(values) for label, values in figures.items()}
        plain = med["plain Python, recomputing"]
        hamilton = med.get("Hamilton, cached")
        print(
            f"digits pipeline, whole process, {what}, median of {args.repeat} "
            f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, accuracy {next(iter(outputs.values()))})"
        )
        print("-" * 78)
        for label, value in med.items():
            notes = []
            if label.startswith("zenrun"):
                ok = "ok" if value - plain <= 0.15 else "MISSED"
                notes.append(f"{value - plain:+.3f} s vs plain (<= +0.15 s {ok})")
                if hamilton is not None:
                    notes.append(
                        f"{value / hamilton:.2f}x Hamilton (<= 1 {'ok' if value <= hamilton else 'MISSED'})"
                    )
            print(f"{label:<30} {value:6.3f} s  (min {min(figures[label]):.3f})  {'; '.join(notes)}")
        print()
    print(f"{'importing scikit-learn alone':<30} {statistics.median(imports):6.3f} s (wall)")


if __name__ == "__main__":
    main()
