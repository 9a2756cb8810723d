"""Reusable AWS CDK constructs of the NTM tuning stack.

The package is not named `constructs`: a top-level package of that name would
shadow the `constructs` library that aws-cdk-lib imports.
"""

from ntm_constructs.python_function import PythonFunction
from ntm_constructs.secure_bucket import SecureBucket
from ntm_constructs.tuning_job_task import SageMakerCreateHyperParameterTuningJob, StatePath

__all__ = [
    "PythonFunction",
    "SageMakerCreateHyperParameterTuningJob",
    "SecureBucket",
    "StatePath",
]
