"""The seed's class-based hyperparameter tuning, with zenrun's ``DynamicPipeline``.

``HyperParameterTuning`` builds its steps in ``__init__`` -- one split, train
and evaluate step per entry of ``hyperparameters_conf_list``, renamed with
``.configure(name=...)`` -- and wires them in ``connect``. A
``CompareScoreParams`` config (a ``GatherStepsParameters``) makes the compare
step receive the outputs of every ``evaluate_*`` step; inside it,
``EvaluationOutputs.gather(params)`` turns them back into models.

``as_template_of`` gives two pipelines with the same logic and different
numbers of steps: ``iris_random_forest`` and ``breast_cancer_random_forest``.

    python examples/hyperparameter_tuning/run.py

Set ``ZENRUN_HPO_SMALL=1`` for a two-entry grid (the test-suite does).
"""

import os
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from zenrun import (
    BaseStepConfig,
    DynamicPipeline,
    GatherStepsParameters,
    Output,
    OutputParameters,
    step,
)
from zenrun.steps import StepInstance

# -- configs and outputs -----------------------------------------------------------


class SplitParams(BaseStepConfig):
    """How to split the data into train and validation sets."""

    test_size: float = 0.3
    random_state: int = 0


class RandomForestParams(BaseStepConfig):
    """Random-forest hyperparameters: one grid entry."""

    n_estimators: int = 10
    max_depth: int | None = None
    random_state: int = 0


class CompareScoreParams(GatherStepsParameters):
    """Which steps to gather (from GatherStepsParameters) and how to compare them."""

    higher_is_better: bool = True


class EvaluationOutputs(OutputParameters):
    """What each evaluate step returns, and what the compare step gathers."""

    accuracy: float
    hyperparameters: dict


# -- steps ----------------------------------------------------------------------------


@step
def load_iris_data() -> Output(X=np.ndarray, y=np.ndarray):
    """The iris data set."""
    X, y = load_iris(return_X_y=True)
    return X, y


@step
def load_breast_cancer_data() -> Output(X=np.ndarray, y=np.ndarray):
    """The breast-cancer data set."""
    X, y = load_breast_cancer(return_X_y=True)
    return X, y


@step
def split_data(config: SplitParams, X: np.ndarray, y: np.ndarray) -> Output(
    X_train=np.ndarray, X_valid=np.ndarray, y_train=np.ndarray, y_valid=np.ndarray
):
    """A stratified train / validation split."""
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=config.test_size, random_state=config.random_state, stratify=y
    )
    return X_train, X_valid, y_train, y_valid


@step
def train_random_forest(
    config: RandomForestParams, X_train: np.ndarray, y_train: np.ndarray
) -> ClassifierMixin:
    """Fit a random forest with one grid entry's hyperparameters."""
    model = RandomForestClassifier(**config.model_dump())
    model.fit(X_train, y_train)
    return model


@step
def evaluate(
    model: ClassifierMixin, X_valid: np.ndarray, y_valid: np.ndarray
) -> EvaluationOutputs.as_output():
    """Validation accuracy, with the hyperparameters that produced it."""
    params = model.get_params()
    hyperparameters = {"n_estimators": params["n_estimators"], "max_depth": params["max_depth"]}
    return float(model.score(X_valid, y_valid)), hyperparameters


@step
def compare_scores(config: CompareScoreParams) -> dict:
    """The hyperparameters of the best evaluate step, gathered by prefix."""
    results = EvaluationOutputs.gather(config)
    if not results:
        raise ValueError("no evaluation to compare")
    sign = 1 if config.higher_is_better else -1
    best = max(results, key=lambda r: sign * r.accuracy)
    for result in results:
        print(f"  {result.hyperparameters} -> accuracy {result.accuracy:.3f}")
    print(f"  best: {best.hyperparameters}")
    return best.hyperparameters


@step
def train_and_score_best(
    best: dict, X_train: np.ndarray, X_valid: np.ndarray, y_train: np.ndarray, y_valid: np.ndarray
) -> float:
    """Retrain the best configuration and report its validation accuracy."""
    model = RandomForestClassifier(**best, random_state=0)
    model.fit(X_train, y_train)
    return float(model.score(X_valid, y_valid))


# -- the dynamic pipeline -----------------------------------------------------------


class HyperParameterTuning(DynamicPipeline):
    """Grid search: split / train / evaluate per grid entry, compare, retrain the best."""

    def __init__(
        self,
        load_data_step: StepInstance,
        hyperparameters_conf_list: list[RandomForestParams],
        split_params: SplitParams | None = None,
        **kwargs: Any,
    ) -> None:
        self.load_data_step = load_data_step.configure(name="load_data")
        self.split_steps, self.train_steps, self.evaluate_steps = [], [], []
        for index, hyperparameters in enumerate(hyperparameters_conf_list):
            self.split_steps.append(
                split_data(split_params or SplitParams()).configure(name=f"split_data_{index}")
            )
            self.train_steps.append(train_random_forest(hyperparameters).configure(name=f"train_{index}"))
            self.evaluate_steps.append(evaluate().configure(name=f"evaluate_{index}"))
        self.compare_step = compare_scores(CompareScoreParams(output_steps_prefix="evaluate_")).configure(
            name="compare_scores"
        )
        self.best_step = train_and_score_best().configure(name="train_best_model")
        # The comparison runs once every evaluation is done (it also gathers
        # them as inputs; .after() states the ordering explicitly).
        for evaluate_step in self.evaluate_steps:
            self.compare_step.after(evaluate_step)
        super().__init__(
            self.load_data_step,
            *self.split_steps,
            *self.train_steps,
            *self.evaluate_steps,
            self.compare_step,
            self.best_step,
            **kwargs,
        )

    def connect(self, **steps: StepInstance) -> None:
        X, y = steps["load_data"]()
        first_split = None
        for split_step, train_step, evaluate_step in zip(
            self.split_steps, self.train_steps, self.evaluate_steps, strict=True
        ):
            X_train, X_valid, y_train, y_valid = split_step(X, y)
            first_split = first_split or (X_train, X_valid, y_train, y_valid)
            model = train_step(X_train, y_train)
            evaluate_step(model, X_valid, y_valid)
        best = self.compare_step()
        X_train, X_valid, y_train, y_valid = first_split
        self.best_step(best, X_train, X_valid, y_train, y_valid)


def grid(small: bool) -> tuple[list[RandomForestParams], list[RandomForestParams]]:
    """The two grids: iris gets fewer entries than breast cancer."""
    if small:
        return (
            [
                RandomForestParams(n_estimators=3, max_depth=2),
                RandomForestParams(n_estimators=5, max_depth=3),
            ],
            [
                RandomForestParams(n_estimators=3, max_depth=2),
                RandomForestParams(n_estimators=5, max_depth=4),
            ],
        )
    iris_grid = [RandomForestParams(n_estimators=n, max_depth=d) for n in (5, 20) for d in (2, 4)]
    cancer_grid = [RandomForestParams(n_estimators=n, max_depth=d) for n in (10, 30, 50) for d in (3, None)]
    return iris_grid, cancer_grid


if __name__ == "__main__":
    iris_grid, cancer_grid = grid(small=os.environ.get("ZENRUN_HPO_SMALL") == "1")

    iris_run = HyperParameterTuning.as_template_of("iris_random_forest")(
        load_data_step=load_iris_data(),
        hyperparameters_conf_list=iris_grid,
    ).run(enable_cache=False)

    cancer_run = HyperParameterTuning.as_template_of("breast_cancer_random_forest")(
        load_data_step=load_breast_cancer_data(),
        hyperparameters_conf_list=cancer_grid,
        split_params=SplitParams(test_size=0.25),
    ).run(enable_cache=False)

    for run in (iris_run, cancer_run):
        best = run.steps["train_best_model"].output.read()
        print(f"{run.pipeline_name}: {run.status}, {len(run.steps)} steps, best model accuracy {best:.3f}")
