"""The resource names, functions and definition that a rehearsal reads from a synthesized template."""

from __future__ import annotations

from dataclasses import dataclass

from ntm_tune.rehearsal.template import (
    FunctionSpec,
    function_specs,
    resolve,
    resolve_definition,
    resources_of_type,
    sample_value,
    state_machine_resource,
)


@dataclass(frozen=True)
class TableSpec:
    name: str
    key_schema: list[dict]
    attribute_definitions: list[dict]


@dataclass(frozen=True)
class TriggerRule:
    """An EventBridge rule whose target is the state machine."""

    logical_id: str
    event_pattern: dict
    target: dict


@dataclass(frozen=True)
class Workflow:
    template: dict
    definition: dict
    state_machine_name: str
    role_arn: str
    functions: dict[str, FunctionSpec]
    bucket_names: tuple[str, ...]
    tables: tuple[TableSpec, ...]
    # Topic name -> the ARN that the resolved definition uses.
    topic_arns: dict[str, str]
    trigger_rules: tuple[TriggerRule, ...]

    @classmethod
    def from_template(cls, template: dict, definition: dict | None = None) -> Workflow:
        """Read the workflow from a template. `definition`, for tests, replaces the resolved one."""
        machine_id, machine = state_machine_resource(template)
        return cls(
            template=template,
            definition=definition if definition is not None else resolve_definition(template),
            state_machine_name=machine_id,
            role_arn=str(resolve(template, machine["Properties"]["RoleArn"])),
            functions=function_specs(template),
            bucket_names=tuple(
                sample_value(template, logical_id, None)
                for logical_id, _ in resources_of_type(template, "AWS::S3::Bucket")
            ),
            tables=tuple(
                TableSpec(
                    name=sample_value(template, logical_id, None),
                    key_schema=resource["Properties"]["KeySchema"],
                    attribute_definitions=resource["Properties"]["AttributeDefinitions"],
                )
                for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::GlobalTable")
            ),
            topic_arns={
                logical_id: sample_value(template, logical_id, None)
                for logical_id, _ in resources_of_type(template, "AWS::SNS::Topic")
            },
            trigger_rules=tuple(_trigger_rules(template, machine_id)),
        )

    def environment_value(self, name: str) -> str:
        """Return the value that the template's functions give environment variable `name`."""
        values = {spec.environment[name] for spec in self.functions.values() if name in spec.environment}
        if len(values) != 1:
            raise LookupError(f"expected one value of {name} across the functions, found {sorted(values)}")
        return values.pop()

    @property
    def datasets_bucket(self) -> str:
        return self.environment_value("DATASETS_BUCKET")

    @property
    def artifacts_bucket(self) -> str:
        return self.environment_value("ARTIFACTS_BUCKET")

    @property
    def run_history_table(self) -> str:
        return self.environment_value("RUN_HISTORY_TABLE")

    def function_for_handler(self, handler: str) -> FunctionSpec:
        for spec in self.functions.values():
            if spec.handler == handler:
                return spec
        raise LookupError(f"no function runs handler {handler}")


def _trigger_rules(template: dict, machine_id: str) -> list[TriggerRule]:
    rules = []
    for logical_id, resource in resources_of_type(template, "AWS::Events::Rule"):
        properties = resource["Properties"]
        for target in properties.get("Targets", []):
            if target.get("Arn") == {"Ref": machine_id} and "EventPattern" in properties:
                rules.append(TriggerRule(logical_id, properties["EventPattern"], target))
    return rules
