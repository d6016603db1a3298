"""The digits example: load the digits data set, train an SVC, evaluate it.

``svc_config`` is a fixture from the root ``conftest.py``; run with
``zenrun pipelines/ -k digits -v``, or override the config for one run with
``--set svc_trainer.gamma=0.01``.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

import zenrun
from zenrun import BaseStepConfig, Output, pipeline, step


class SVCTrainerStepConfig(BaseStepConfig):
    """Trainer params"""

    gamma: float = 0.001


@step
def digits_data_loader() -> Output(
    X_train=np.ndarray, X_test=np.ndarray, y_train=np.ndarray, y_test=np.ndarray
):
    """Loads the digits dataset as a tuple of flattened numpy arrays."""
    digits = load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    X_train, X_test, y_train, y_test = train_test_split(data, digits.target, test_size=0.2, shuffle=False)
    return X_train, X_test, y_train, y_test


@step(enable_cache=False)  # never cache this step, always retrain
def svc_trainer(config: SVCTrainerStepConfig, X_train: np.ndarray, y_train: np.ndarray) -> ClassifierMixin:
    """Train a sklearn SVC classifier."""
    model = SVC(gamma=config.gamma)
    model.fit(X_train, y_train)
    return model


@step
def evaluator(model: ClassifierMixin, X_test: np.ndarray, y_test: np.ndarray) -> float:
    """The model's accuracy on the held-out digits."""
    return float(model.score(X_test, y_test))


@zenrun.mark.sklearn
@pipeline
def pipeline_digits(svc_config):
    X_train, X_test, y_train, y_test = digits_data_loader()
    model = svc_trainer(X_train, y_train, config=svc_config)
    evaluator(model, X_test, y_test)
