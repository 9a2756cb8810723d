"""NTM's hyperparameters: types, valid values and defaults.

Source: Amazon SageMaker Developer Guide, "NTM Hyperparameters" and "Tune an NTM
Model"; SageMaker Python SDK 2.x `sagemaker/amazon/ntm.py` for the optimizer list.
SageMaker passes every value to the container as a string.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    INTEGER = "Integer"
    CONTINUOUS = "Continuous"
    CATEGORICAL = "Categorical"
    BOOLEAN = "Boolean"
    LAYERS = "Layers"  # comma-separated positive integers, or "auto"


@dataclass(frozen=True)
class Hyperparameter:
    """One NTM hyperparameter and the values the algorithm accepts."""

    name: str
    kind: Kind
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()
    default: str | None = None
    required: bool = False
    tunable: bool = False

    def allowed(self) -> str:
        """Describe the valid values for an error message."""
        if self.kind is Kind.CATEGORICAL:
            return "one of " + ", ".join(self.values)
        if self.kind is Kind.BOOLEAN:
            return "true or false"
        if self.kind is Kind.LAYERS:
            return 'comma-separated positive integers, or "auto"'
        noun = "an integer" if self.kind is Kind.INTEGER else "a number"
        upper = "no upper bound" if self.maximum is None else f"at most {_number(self.maximum)}"
        return f"{noun} from {_number(self.minimum)} with {upper}".replace("with at most", "to")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}".replace(",", "")
    return f"{value:g}"


NTM_HYPERPARAMETERS: dict[str, Hyperparameter] = {
    parameter.name: parameter
    for parameter in (
        Hyperparameter("feature_dim", Kind.INTEGER, 1, 1_000_000, required=True),
        Hyperparameter("num_topics", Kind.INTEGER, 2, 1000, required=True),
        Hyperparameter("batch_norm", Kind.BOOLEAN, default="false"),
        Hyperparameter("clip_gradient", Kind.CONTINUOUS, 1e-3, math.inf, default="Infinity"),
        Hyperparameter("encoder_layers", Kind.LAYERS, default="auto"),
        Hyperparameter(
            "encoder_layers_activation",
            Kind.CATEGORICAL,
            values=("sigmoid", "tanh", "relu"),
            default="sigmoid",
            tunable=True,
        ),
        Hyperparameter("epochs", Kind.INTEGER, 1, 100, default="50"),
        Hyperparameter("learning_rate", Kind.CONTINUOUS, 1e-6, 1.0, default="0.001", tunable=True),
        Hyperparameter("mini_batch_size", Kind.INTEGER, 1, 10000, default="256", tunable=True),
        Hyperparameter("num_patience_epochs", Kind.INTEGER, 1, 10, default="3"),
        Hyperparameter(
            "optimizer",
            Kind.CATEGORICAL,
            values=("sgd", "adam", "adagrad", "adadelta", "rmsprop"),
            default="adadelta",
            tunable=True,
        ),
        Hyperparameter("rescale_gradient", Kind.CONTINUOUS, 1e-3, 1.0, default="1.0", tunable=True),
        Hyperparameter("sub_sample", Kind.CONTINUOUS, 0.0, 1.0, default="1.0"),
        Hyperparameter("tolerance", Kind.CONTINUOUS, 1e-6, 0.1, default="0.001"),
        Hyperparameter("weight_decay", Kind.CONTINUOUS, 0.0, 1.0, default="0.0", tunable=True),
    )
}

# The only metric NTM emits; reconstruction loss plus KL divergence, lower is better.
OBJECTIVE_METRIC = "validation:total_loss"
OBJECTIVE_TYPE = "Minimize"

# Ranges recommended by the SageMaker Developer Guide ("Tune an NTM Model").
# Scaling types are the ones SageMaker accepts for each range: logarithmic needs
# values above zero, and weight_decay starts at 0.0, so it stays linear.
RECOMMENDED_RANGES: dict[str, dict[str, object]] = {
    "encoder_layers_activation": {"values": ["sigmoid", "tanh", "relu"]},
    "learning_rate": {"min": 1e-4, "max": 0.1, "scaling": "Logarithmic"},
    "mini_batch_size": {"min": 16, "max": 2048, "scaling": "Logarithmic"},
    "optimizer": {"values": ["sgd", "adam", "adadelta"]},
    "rescale_gradient": {"min": 0.1, "max": 1.0, "scaling": "Logarithmic"},
    "weight_decay": {"min": 0.0, "max": 1.0, "scaling": "Linear"},
}


def format_value(value: object) -> str:
    """Serialize a hyperparameter value the way SageMaker passes it: a plain string.

    Booleans become `true`/`false`, integral floats keep their decimal point only
    when they are not integers, and a string that arrived wrapped in quotes
    (`"\\"adam\\""`) is rejected by the caller rather than silently unwrapped.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(format_value(item) for item in value)
    return str(value)
