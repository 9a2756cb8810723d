"""The run-history and run-locks tables, created in moto with the stack's key schemas."""

from __future__ import annotations


def create_run_tables(dynamodb, *, history: str = "run-history", locks: str = "run-locks") -> None:
    dynamodb.create_table(
        TableName=history,
        KeySchema=[{"AttributeName": "dataset", "KeyType": "HASH"}, {"AttributeName": "runKey", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "dataset", "AttributeType": "S"},
            {"AttributeName": "runKey", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.create_table(
        TableName=locks,
        KeySchema=[{"AttributeName": "lockKey", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "lockKey", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
