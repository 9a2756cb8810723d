"""The CreateHyperParameterTuningJob request, built from a validated configuration.

The request has two kinds of fields. Security-relevant ones (execution role,
image, output location, network isolation, encryption, VPC) are fixed when the
stack is synthesized. Tunable ones (job name, tuning job config, static
hyperparameters, dataset location) are set per run by the workflow's first state.
Both come from the functions here, so the template and the run cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ntm_spec.config import TuningConfig
from ntm_spec.hyperparameters import OBJECTIVE_METRIC, OBJECTIVE_TYPE
from ntm_spec.ranges import ranges_to_api

RECORDIO_CONTENT_TYPE = "application/x-recordio-protobuf"
# Where SageMaker writes each training job's model under the artifacts bucket.
TUNING_OUTPUT_PREFIX = "tuning-jobs/"


@dataclass(frozen=True)
class Placement:
    """Where a run's request points: resolved values, or state machine paths."""

    role_arn: str
    image_uri: str
    output_s3_uri: str
    channel_s3_uris: dict[str, str]


def build_tuning_job_config(config: TuningConfig) -> dict[str, object]:
    """Return `HyperParameterTuningJobConfig` for the configuration."""
    tuning: dict[str, object] = {
        "Strategy": config.strategy,
        "HyperParameterTuningJobObjective": {
            "Type": OBJECTIVE_TYPE,
            "MetricName": OBJECTIVE_METRIC,
        },
        "ResourceLimits": {
            "MaxNumberOfTrainingJobs": config.max_training_jobs,
            "MaxParallelTrainingJobs": config.max_parallel_training_jobs,
        },
        "ParameterRanges": ranges_to_api(list(config.ranges)),
        "TrainingJobEarlyStoppingType": config.early_stopping,
    }
    if config.strategy == "Grid":
        # Grid infers the job count from the categorical combinations.
        del tuning["ResourceLimits"]["MaxNumberOfTrainingJobs"]  # type: ignore[attr-defined]
    if config.random_seed is not None:
        tuning["RandomSeed"] = config.random_seed
    if config.strategy == "Hyperband" and config.hyperband:
        hyperband = {}
        if "min_resource" in config.hyperband:
            hyperband["MinResource"] = config.hyperband["min_resource"]
        if "max_resource" in config.hyperband:
            hyperband["MaxResource"] = config.hyperband["max_resource"]
        tuning["StrategyConfig"] = {"HyperbandStrategyConfig": hyperband}
    criteria = _completion_criteria(config.completion)
    if criteria:
        tuning["TuningJobCompletionCriteria"] = criteria
    return tuning


def _completion_criteria(completion: dict[str, object]) -> dict[str, object]:
    criteria: dict[str, object] = {}
    if "target_objective_value" in completion:
        criteria["TargetObjectiveMetricValue"] = float(completion["target_objective_value"])  # type: ignore[arg-type]
    if "max_jobs_not_improving" in completion:
        criteria["BestObjectiveNotImproving"] = {
            "MaxNumberOfTrainingJobsNotImproving": completion["max_jobs_not_improving"]
        }
    if "complete_on_convergence" in completion:
        mode = "Enabled" if completion["complete_on_convergence"] else "Disabled"
        criteria["ConvergenceDetected"] = {"CompleteOnConvergence": mode}
    return criteria


def build_static_hyperparameters(config: TuningConfig, feature_dim: int) -> dict[str, str]:
    """Return `StaticHyperParameters`: the configuration's values plus the vocabulary size."""
    static = dict(config.static_hyperparameters)
    static["feature_dim"] = str(int(feature_dim))
    return dict(sorted(static.items()))


def build_input_data_config(config: TuningConfig, channel_s3_uris: dict[str, str]) -> list[dict[str, object]]:
    """Return `InputDataConfig` with one entry per configured channel."""
    channels = []
    for channel in config.channels:
        content_type = "text/plain" if channel.name == "auxiliary" else RECORDIO_CONTENT_TYPE
        channels.append(
            {
                "ChannelName": channel.name,
                "ContentType": content_type,
                "CompressionType": "None",
                "RecordWrapperType": "None",
                "InputMode": "File",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": channel_s3_uris[channel.name],
                        "S3DataDistributionType": channel.distribution,
                    }
                },
            }
        )
    return channels


def build_fixed_training_fields(config: TuningConfig, placement: Placement) -> dict[str, object]:
    """Return the training job definition fields that the stack fixes at synth time."""
    definition: dict[str, object] = {
        "AlgorithmSpecification": {
            "TrainingImage": placement.image_uri,
            "TrainingInputMode": "File",
        },
        "RoleArn": placement.role_arn,
        "OutputDataConfig": {"S3OutputPath": placement.output_s3_uri},
        "ResourceConfig": {
            "InstanceType": config.instance_type,
            "InstanceCount": config.instance_count,
            "VolumeSizeInGB": config.volume_size_gb,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": config.max_runtime_seconds},
        "EnableNetworkIsolation": True,
        # Encryption between instances only matters, and only costs time, with several.
        "EnableInterContainerTrafficEncryption": config.instance_count > 1,
        "EnableManagedSpotTraining": config.spot_enabled,
    }
    if config.spot_enabled:
        definition["StoppingCondition"]["MaxWaitTimeInSeconds"] = config.spot_max_wait_seconds  # type: ignore[index]
    if config.kms_key_arn:
        definition["OutputDataConfig"]["KmsKeyId"] = config.kms_key_arn  # type: ignore[index]
        definition["ResourceConfig"]["VolumeKmsKeyId"] = config.kms_key_arn  # type: ignore[index]
    if config.vpc_subnet_ids:
        definition["VpcConfig"] = {
            "Subnets": list(config.vpc_subnet_ids),
            "SecurityGroupIds": list(config.vpc_security_group_ids),
        }
    return definition


def build_request(
    config: TuningConfig, *, tuning_job_name: str, feature_dim: int, placement: Placement
) -> dict[str, object]:
    """Return the whole request, as the workflow sends it for one run."""
    definition = build_fixed_training_fields(config, placement)
    definition["StaticHyperParameters"] = build_static_hyperparameters(config, feature_dim)
    definition["InputDataConfig"] = build_input_data_config(config, placement.channel_s3_uris)
    return {
        "HyperParameterTuningJobName": tuning_job_name,
        "HyperParameterTuningJobConfig": build_tuning_job_config(config),
        "TrainingJobDefinition": definition,
    }
