"""Rules of SageMaker's built-in Neural Topic Model (NTM) and of hyperparameter tuning.

This package is the single source of truth for hyperparameter bounds, scaling
rules, job names, dataset manifests and the CreateHyperParameterTuningJob request.
It imports nothing from the AWS CDK and nothing outside the standard library, so
`app.py` uses it at synth time, the Lambda functions at run time (it ships inside
their asset) and `ntm-tune` on the user's machine.
"""
