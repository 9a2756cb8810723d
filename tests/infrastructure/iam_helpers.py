"""Read a role's inline policy statements from a synthesized template."""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct


def logical_id(construct: Construct) -> str:
    return Stack.of(construct).get_logical_id(construct.node.default_child)


def statements_of(template_dict: dict, role_logical_id: str) -> list[dict]:
    """Return every statement of every AWS::IAM::Policy attached to the role."""
    statements = []
    for resource in template_dict["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if {"Ref": role_logical_id} in resource["Properties"]["Roles"]:
            statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions(statement: dict) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


def all_actions(statements: list[dict]) -> set[str]:
    return set().union(*(actions(statement) for statement in statements))


def by_sid(statements: list[dict]) -> dict[str, dict]:
    return {statement["Sid"]: statement for statement in statements if "Sid" in statement}
