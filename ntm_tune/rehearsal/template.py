"""Resolve the CloudFormation intrinsics in a synthesized template, offline.

Refs and GetAtts become deterministic sample values: a bucket is named after
its logical ID in lower case, a function's ARN ends in its logical ID, and a
table's name is its logical ID. The rehearsal creates the emulated resources
under the same names, so the resolved state machine definition and the
functions' environment variables point at them. Only the intrinsics that the
stack uses are handled; anything else raises, so a new kind of reference is
noticed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

ACCOUNT = "123456789012"
REGION = "us-east-1"

_PSEUDO_PARAMETERS = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
}


def sample_value(template: dict, logical_id: str, attribute: str | None) -> str:
    resource_type = template["Resources"][logical_id]["Type"]
    name = logical_id.lower()[:40]
    if resource_type == "AWS::S3::Bucket":
        return f"arn:aws:s3:::{name}" if attribute == "Arn" else name
    if resource_type == "AWS::Lambda::Function":
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"
        return arn if attribute == "Arn" else logical_id
    if resource_type == "AWS::IAM::Role":
        return f"arn:aws:iam::{ACCOUNT}:role/{logical_id}" if attribute == "Arn" else logical_id
    if resource_type == "AWS::SNS::Topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{logical_id}"
    if resource_type == "AWS::DynamoDB::GlobalTable":
        return logical_id
    raise ValueError(f"no sample value for {resource_type} {logical_id}.{attribute}")


def resolve(template: dict, node: object) -> object:
    """Return `node` with every Ref, Fn::GetAtt and Fn::Join replaced by sample values."""
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            ref = node["Ref"]
            if ref in _PSEUDO_PARAMETERS:
                return _PSEUDO_PARAMETERS[ref]
            return sample_value(template, ref, None)
        if set(node) == {"Fn::GetAtt"}:
            logical_id, attribute = node["Fn::GetAtt"]
            return sample_value(template, logical_id, attribute)
        if set(node) == {"Fn::Join"}:
            separator, parts = node["Fn::Join"]
            return separator.join(str(resolve(template, part)) for part in parts)
        return {key: resolve(template, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(template, item) for item in node]
    return node


def state_machine_resource(template: dict) -> tuple[str, dict]:
    machines = resources_of_type(template, "AWS::StepFunctions::StateMachine")
    if len(machines) != 1:
        raise AssertionError(f"expected one state machine, found {len(machines)}")
    return machines[0]


def resolve_definition(template: dict) -> dict:
    """Return the ASL definition as a dict, with every reference resolved."""
    _, resource = state_machine_resource(template)
    definition = resolve(template, resource["Properties"]["DefinitionString"])
    return json.loads(definition)


def resources_of_type(template: dict, resource_type: str) -> list[tuple[str, dict]]:
    return [
        (logical_id, resource)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    ]


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function of the template, as the rehearsal runs it."""

    logical_id: str
    arn: str
    handler: str
    environment: dict[str, str]
    timeout_seconds: int
    memory_size_mb: int


def function_specs(template: dict) -> dict[str, FunctionSpec]:
    """Return the template's Lambda functions by ARN, with resolved environment variables."""
    specs = {}
    for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function"):
        properties = resource["Properties"]
        variables = resolve(template, properties.get("Environment", {}).get("Variables", {}))
        arn = sample_value(template, logical_id, "Arn")
        specs[arn] = FunctionSpec(
            logical_id=logical_id,
            arn=arn,
            handler=properties["Handler"],
            environment={key: str(value) for key, value in variables.items()},  # type: ignore[union-attr]
            # Lambda's defaults when Timeout or MemorySize is absent.
            timeout_seconds=int(properties.get("Timeout", 3)),
            memory_size_mb=int(properties.get("MemorySize", 128)),
        )
    return specs


def state_machine_name(template: dict) -> str:
    logical_id, _ = state_machine_resource(template)
    return logical_id
