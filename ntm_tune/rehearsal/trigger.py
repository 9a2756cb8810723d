"""The event that starts a run when a dataset manifest lands, as EventBridge delivers it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from ntm_tune.rehearsal.workflow import TriggerRule


def object_created_event(
    *,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    version_id: str | None,
    account: str,
    region: str,
) -> dict:
    """Return the `Object Created` event that S3 sends to EventBridge for a PutObject."""
    detail_object = {"key": key, "size": size, "etag": etag, "sequencer": uuid.uuid4().hex[:18].upper()}
    if version_id:
        detail_object["version-id"] = version_id
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": detail_object,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account,
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }


def rule_input(rule: TriggerRule, event: dict) -> dict:
    """Return what the rule's target passes to the state machine: the whole event, `Input` or `InputPath`."""
    target = rule.target
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        node: object = event
        for part in target["InputPath"].removeprefix("$").strip(".").split("."):
            if part:
                node = node[part]  # type: ignore[index]
        return node  # type: ignore[return-value]
    if "InputTransformer" in target:
        # TODO: apply InputTransformer templates if the stack starts using them.
        raise NotImplementedError(
            f"rule {rule.logical_id} uses an InputTransformer, which the rehearsal does not apply"
        )
    return event


def event_matches(pattern: dict, event: dict) -> bool:
    """Return whether an EventBridge event pattern matches `event`.

    moto 5.2.5 does not implement the TestEventPattern API, so this calls the
    matcher that moto's event buses use for delivery. NOTE: that matcher is
    moto's reading of EventBridge's pattern language, not EventBridge itself.
    """
    from moto.events.models import EventPattern

    return EventPattern.load(json.dumps(pattern)).matches_event(event)
