"""Print a one-screen summary of a synthesized NTM tuning template.

Usage: python -m ntm_tune.template_summary cdk.out/NtmTuning-dev.template.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _by_type(resources: dict, resource_type: str) -> list[tuple[str, dict]]:
    return [(logical_id, resource) for logical_id, resource in resources.items() if resource["Type"] == resource_type]


def summarize(template: dict) -> list[str]:
    resources = template["Resources"]
    lines = ["Buckets (encrypted, TLS-only, versioned, retained):"]
    # aws-cdk-lib turns on EventBridge notifications through a custom resource.
    notified = {
        resource["Properties"]["BucketName"].get("Ref")
        for _, resource in _by_type(resources, "Custom::S3BucketNotifications")
        if "EventBridgeConfiguration" in resource["Properties"].get("NotificationConfiguration", {})
    }
    for logical_id, bucket in _by_type(resources, "AWS::S3::Bucket"):
        properties = bucket.get("Properties", {})
        events = True if logical_id in notified else None
        logging = "access-logged" if "LoggingConfiguration" in properties else "access-log target"
        lines.append(f"  {logical_id:<34} {logging}{', EventBridge notifications' if events is not None else ''}")

    lines.append("IAM roles (inline, least-privilege policies):")
    for logical_id, role in _by_type(resources, "AWS::IAM::Role"):
        statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        services = sorted({str(statement["Principal"].get("Service")) for statement in statements})
        lines.append(f"  {logical_id:<34} assumed by {', '.join(services)}")

    lines.append("State machine:")
    for logical_id, machine in _by_type(resources, "AWS::StepFunctions::StateMachine"):
        definition = machine["Properties"]["DefinitionString"]
        text = json.dumps(definition)
        uses_sync = "createHyperParameterTuningJob.sync" in text
        tracing = machine["Properties"].get("TracingConfiguration", {}).get("Enabled", False)
        log_level = machine["Properties"].get("LoggingConfiguration", {}).get("Level", "none")
        lines.append(
            f"  {logical_id:<34} tuning task .sync: {'yes' if uses_sync else 'NO'}, "
            f"X-Ray: {'on' if tracing else 'off'}, logs: {log_level}"
        )

    lines.append("Triggers:")
    rules = _by_type(resources, "AWS::Events::Rule")
    schedules = _by_type(resources, "AWS::Scheduler::Schedule")
    for logical_id, rule in rules:
        lines.append(f"  {logical_id:<34} EventBridge rule: {rule['Properties'].get('Description', '')}")
    for logical_id, schedule in schedules:
        properties = schedule["Properties"]
        lines.append(
            f"  {logical_id:<34} schedule {properties.get('ScheduleExpression')} "
            f"({properties.get('ScheduleExpressionTimezone', 'UTC')})"
        )
    lines.append("  manual: aws stepfunctions start-execution (see README)")
    if not schedules:
        lines.append("  no schedule: set [schedule] in the configuration to retune on a schedule")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ntm_tune.template_summary TEMPLATE.json", file=sys.stderr)
        return 2
    path = Path(args[0])
    try:
        template = json.loads(path.read_text())
    except FileNotFoundError:
        print(f"{path}: template not found; run `make synth` first", file=sys.stderr)
        return 2
    print(f"Template: {path.resolve()}")
    print("\n".join(summarize(template)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
