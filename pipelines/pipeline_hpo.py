"""A random-forest grid search over two data sets, written as one parametrized pipeline.

``@zenrun.mark.parametrize("dataset", ...)`` makes two items,
``pipeline_hpo.py::hpo[iris]`` and ``pipeline_hpo.py::hpo[breast_cancer]``.
The grid comes from the ``rf_grid`` fixture in the root ``conftest.py``; the
loop in the body adds one ``train_<i>`` / ``evaluate_<i>`` pair per entry, so
the size of the graph follows the grid. ``zenrun.gather(prefix="evaluate")``
fans every evaluation into ``compare``, which picks the best entry, and
``train_best`` trains and scores that model. The steps log their results
with ``zenrun.log_metadata``, so the session ends with a table of the items,
the winning configuration and its test accuracy (``--sort-by accuracy``).

    zenrun pipelines/ -k iris --no-cache -v
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

import zenrun
from zenrun import Output, StepConfig, pipeline, step

DATASETS = ["iris", "breast_cancer"]


class RandomForestConfig(StepConfig):
    """Hyperparameters of one random forest."""

    n_estimators: int = 10
    max_depth: int | None = None
    random_state: int = 0


@step
def load_data(dataset: str) -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    """Load a scikit-learn toy data set and split it into train and test sets."""
    from sklearn import datasets

    loader = {"iris": datasets.load_iris, "breast_cancer": datasets.load_breast_cancer}[dataset]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    return X_train, X_test, y_train, y_test


@step
def train(config: RandomForestConfig, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    """Fit a random forest with the given hyperparameters."""
    model = RandomForestClassifier(**config.model_dump())
    model.fit(X_train, y_train)
    return model


@step
def evaluate(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> dict:
    """The test accuracy of ``model``, with the hyperparameters that produced it."""
    accuracy = float(model.score(X_test, y_test))
    zenrun.log_metadata(accuracy=accuracy)
    return {
        "n_estimators": int(model.n_estimators),
        "max_depth": model.max_depth,
        "accuracy": accuracy,
    }


@step
def compare(results: list) -> dict:
    """The best grid entry: highest accuracy, then fewest trees."""
    best = max(results, key=lambda r: (r["accuracy"], -r["n_estimators"]))
    zenrun.log_metadata(n_estimators=best["n_estimators"], max_depth=best["max_depth"])
    return {"n_estimators": best["n_estimators"], "max_depth": best["max_depth"]}


@step
def train_best(
    best: dict, X_train: np.ndarray, X_test: np.ndarray, y_train: np.ndarray, y_test: np.ndarray
) -> float:
    """Train the best configuration on the training set and score it on the test set."""
    model = RandomForestClassifier(**best, random_state=0)
    model.fit(X_train, y_train)
    accuracy = float(model.score(X_test, y_test))
    zenrun.log_metadata(accuracy=accuracy)
    return accuracy


@zenrun.mark.sklearn
@zenrun.mark.parametrize("dataset", DATASETS)
@pipeline
def hpo(dataset, rf_grid):
    X_train, X_test, y_train, y_test = load_data(dataset)
    for index, params in enumerate(rf_grid):
        model = train(X_train, y_train, config=params, id=f"train_{index}")
        evaluate(model, X_test, y_test, id=f"evaluate_{index}")
    best = compare(zenrun.gather(prefix="evaluate"))
    train_best(best, X_train, X_test, y_train, y_test)
