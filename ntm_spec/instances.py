"""Instance types that NTM can train on.

The SageMaker Developer Guide ("NTM Algorithm", 2023) names the P2, P3, G4dn and
G5 GPU families for NTM training. Newer GPU families are in the API's
`TrainingInstanceType` enum but not named for NTM, so they are not offered.
"""

from __future__ import annotations

NTM_GPU_INSTANCE_TYPES: frozenset[str] = frozenset(
    [
        "ml.p2.xlarge",
        "ml.p2.8xlarge",
        "ml.p2.16xlarge",
        "ml.p3.2xlarge",
        "ml.p3.8xlarge",
        "ml.p3.16xlarge",
        "ml.p3dn.24xlarge",
        "ml.g4dn.xlarge",
        "ml.g4dn.2xlarge",
        "ml.g4dn.4xlarge",
        "ml.g4dn.8xlarge",
        "ml.g4dn.12xlarge",
        "ml.g4dn.16xlarge",
        "ml.g5.xlarge",
        "ml.g5.2xlarge",
        "ml.g5.4xlarge",
        "ml.g5.8xlarge",
        "ml.g5.12xlarge",
        "ml.g5.16xlarge",
        "ml.g5.24xlarge",
        "ml.g5.48xlarge",
    ]
)

# CPU families accepted only when the configuration sets `allow_cpu = true`.
NTM_CPU_INSTANCE_FAMILIES: tuple[str, ...] = ("ml.m5.", "ml.m6i.", "ml.c5.", "ml.c6i.")

DEFAULT_INSTANCE_TYPE = "ml.g4dn.xlarge"


def is_cpu_instance_type(instance_type: str) -> bool:
    return instance_type.startswith(NTM_CPU_INSTANCE_FAMILIES)


# GPUs in one instance of each NTM GPU type. Sources: the AWS Batch User Guide's
# table of GPU instance types (G4dn, G5) and the Amazon EC2 accelerated computing
# instance specifications (P2, P3, P3dn). A CPU type has no GPU.
GPUS_PER_INSTANCE: dict[str, int] = {
    "ml.p2.xlarge": 1,
    "ml.p2.8xlarge": 8,
    "ml.p2.16xlarge": 16,
    "ml.p3.2xlarge": 1,
    "ml.p3.8xlarge": 4,
    "ml.p3.16xlarge": 8,
    "ml.p3dn.24xlarge": 8,
    "ml.g4dn.xlarge": 1,
    "ml.g4dn.2xlarge": 1,
    "ml.g4dn.4xlarge": 1,
    "ml.g4dn.8xlarge": 1,
    "ml.g4dn.12xlarge": 4,
    "ml.g4dn.16xlarge": 1,
    "ml.g5.xlarge": 1,
    "ml.g5.2xlarge": 1,
    "ml.g5.4xlarge": 1,
    "ml.g5.8xlarge": 1,
    "ml.g5.12xlarge": 4,
    "ml.g5.16xlarge": 1,
    "ml.g5.24xlarge": 4,
    "ml.g5.48xlarge": 8,
}
