"""The seed's caching walkthrough: one pipeline, run three times.

1. Everything runs.
2. The loader comes from the cache; the trainer reruns (``enable_cache=False``).
3. ``run(enable_cache=False)``: everything reruns, for this run only.

Run it with ``python examples/seed_caching.py`` (needs scikit-learn).
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from zenrun import BaseStepConfig, Output, pipeline, step


@step
def digits_data_loader() -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    """Load the digits data set as flattened numpy arrays."""
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    return tuple(train_test_split(data, digits.target, test_size=0.2, shuffle=False))


class SVCTrainerStepConfig(BaseStepConfig):
    """Trainer parameters."""

    gamma: float = 0.001


@step(enable_cache=False)  # retrain every time
def svc_trainer(config: SVCTrainerStepConfig, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    """Fit an SVC classifier."""
    model = SVC(gamma=config.gamma)
    model.fit(X_train, y_train)
    return model


@pipeline
def first_pipeline(step_1, step_2):
    X_train, _X_test, y_train, _y_test = step_1()
    step_2(X_train, y_train)


if __name__ == "__main__":
    instance = first_pipeline(step_1=digits_data_loader(), step_2=svc_trainer())

    # First run: nothing is cached yet, so every step runs.
    instance.run()
    # Second run: the loader is cached; the trainer reruns because of its decorator.
    instance.run()
    # Third run: caching is off for this run only.
    instance.run(enable_cache=False)

    runs = instance.get_runs()
    print(f"\n{len(runs)} runs of first_pipeline recorded; last: {runs[-1].name} ({runs[-1].status})")
