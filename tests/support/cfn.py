"""Resolve the CloudFormation intrinsics in a synthesized state machine definition.

Refs and GetAtts become deterministic sample values (`ref:LOGICAL_ID`,
`arn:aws:...:LOGICAL_ID`), so the definition can be validated and executed
offline. Only the intrinsics that the stack's definition uses are handled;
anything else raises, so a new kind of reference is noticed.
"""

from __future__ import annotations

import json

ACCOUNT = "123456789012"
REGION = "us-east-1"


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
    if isinstance(node, dict):
        if set(node) == {"Ref"}:
            ref = node["Ref"]
            pseudo = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com"}
            return pseudo[ref] if ref in pseudo else sample_value(template, ref, None)
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
    machines = [
        (logical_id, resource)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    if len(machines) != 1:
        raise AssertionError(f"expected one state machine, found {len(machines)}")
    return machines[0]


def resolve_definition(template: dict) -> dict:
    """Return the ASL definition as a dict, with every reference resolved."""
    _, resource = state_machine_resource(template)
    definition = resolve(template, resource["Properties"]["DefinitionString"])
    return json.loads(definition)
