"""One run at a time per dataset, and one data-triggered run per dataset version.

Both are conditional writes to the locks table (partition key `lockKey`):
- `run#DATASET` is held by the execution that runs the dataset's tuning job.
  It expires at `expiresAt` (epoch seconds), the state machine's timeout after
  it was taken, so a lock left by an execution that never released it is stale.
- `data#DATASET/VERSION` is written once, by the first execution that a
  manifest's event starts; a second delivery of the same event finds it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """The execution that holds a lock."""

    execution_name: str
    run_id: str
    acquired_at: str


def run_lock_key(dataset: str) -> str:
    return f"run#{dataset}"


def acquire_run_lock(
    dynamodb, table: str, *, dataset: str, execution_name: str, run_id: str, now: datetime, lifetime_seconds: int
) -> Holder | None:
    """Take the dataset's run lock; return None on success, or the current holder."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                "lockKey": {"S": run_lock_key(dataset)},
                "executionName": {"S": execution_name},
                "runId": {"S": run_id},
                "acquiredAt": {"S": now.isoformat()},
                "expiresAt": {"N": str(int(now.timestamp()) + lifetime_seconds)},
            },
            ConditionExpression="attribute_not_exists(lockKey) OR expiresAt < :now OR executionName = :me",
            ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}, ":me": {"S": execution_name}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        item = dynamodb.get_item(TableName=table, Key={"lockKey": {"S": run_lock_key(dataset)}}, ConsistentRead=True)
        current = item.get("Item", {})
        return Holder(
            execution_name=current.get("executionName", {}).get("S", "unknown"),
            run_id=current.get("runId", {}).get("S", ""),
            acquired_at=current.get("acquiredAt", {}).get("S", ""),
        )
    return None


def release_run_lock(dynamodb, table: str, *, dataset: str, execution_name: str) -> bool:
    """Release the lock if this execution holds it; return whether it did."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key={"lockKey": {"S": run_lock_key(dataset)}},
            ConditionExpression="executionName = :me",
            ExpressionAttributeValues={":me": {"S": execution_name}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    logger.info("Run lock released", extra={"dataset": dataset, "execution_name": execution_name})
    return True


def run_lock_holder(dynamodb, table: str, *, dataset: str) -> Holder | None:
    item = dynamodb.get_item(TableName=table, Key={"lockKey": {"S": run_lock_key(dataset)}}, ConsistentRead=True)
    current = item.get("Item")
    if not current:
        return None
    return Holder(
        current["executionName"]["S"], current.get("runId", {}).get("S", ""), current.get("acquiredAt", {}).get("S", "")
    )


def claim_data_trigger(
    dynamodb, table: str, *, dataset: str, version: str, execution_name: str, now: datetime
) -> str | None:
    """Record that this execution runs the data trigger of a version; return None, or the earlier claimant."""
    key = {"S": f"data#{dataset}/{version}"}
    try:
        dynamodb.put_item(
            TableName=table,
            Item={"lockKey": key, "executionName": {"S": execution_name}, "claimedAt": {"S": now.isoformat()}},
            ConditionExpression="attribute_not_exists(lockKey)",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        item = dynamodb.get_item(TableName=table, Key={"lockKey": key}, ConsistentRead=True)
        return item.get("Item", {}).get("executionName", {}).get("S", "unknown")
    return None
