"""Run the synthesized tuning workflow once, offline.

moto emulates S3, DynamoDB, SNS and Step Functions. The real Lambda handlers
run in-process, and SageMaker's responses come from a scenario file under
`scenarios/`. Only `harness` and the modules it uses import moto, and only
`synth` imports aws-cdk-lib, so `template` and `scenario` stay cheap to import.

- `harness`: the `Rehearsal`, which runs one execution and collects its results.
- `scenario`: load and check scenario files.
- `sagemaker`: the scripted SageMaker and its request capture.
- `api_model`: check requests against botocore's model of the SageMaker API.
- `functions`: run the template's Lambda handlers in-process.
- `wire`: route Lambda, SageMaker and faulted requests away from moto.
- `moto_patches`: the changes to moto's Step Functions interpreter.
- `synth`, `template`, `workflow`: synthesize the stack and read what a run needs.
- `trigger`, `report`: the S3 event that starts a run, and the command's output.
"""

from pathlib import Path

# The repository checkout, which contains cdk.json, `lambda/` and `config/`.
REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"
DEFAULT_SCENARIO = "completed"
