"""Run the template's Lambda functions in-process, with their real handler code.

Each rehearsal loads the handler modules anew, as a cold start does, so boto3
clients that a handler caches are created inside the rehearsal's moto mock.
A handler's exception becomes a function error with the payload that the
Python runtime returns (`errorType`, `errorMessage`, `stackTrace`), which
Step Functions turns into the error name that Retry and Catch match.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from unittest import mock

from ntm_tune.rehearsal.template import ACCOUNT, REGION, FunctionSpec

# LogRecord attributes that every record has. Anything else was passed as `extra`.
_STANDARD_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@dataclass
class Invocation:
    """One invocation of a function: its event and its result or error."""

    function: str  # the function's logical ID
    event: object
    result: object = None
    error_type: str | None = None
    error_message: str | None = None
    duration_seconds: float = 0.0
    logs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LambdaContext:
    """The members of the Lambda context object that handlers commonly read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    memory_limit_in_mb: int
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class FunctionNotFound(LookupError):
    pass


class LambdaRuntime:
    """Runtime that invokes the template's functions by ARN or name and records every invocation."""

    def __init__(self, specs: dict[str, FunctionSpec], code_dir: Path):
        self._specs = specs
        self._code_dir = code_dir
        self._handlers: dict[str, object] = {}
        self._lock = threading.Lock()
        self.invocations: list[Invocation] = []

    def spec_for(self, function_name: str) -> FunctionSpec:
        for spec in self._specs.values():
            if function_name in (spec.arn, spec.logical_id):
                return spec
        raise FunctionNotFound(f"Function not found: {function_name}")

    def invoke(self, function_name: str, payload: bytes) -> tuple[bytes, str | None]:
        """Run the function on `payload`, and return the response payload and the function error, if any."""
        spec = self.spec_for(function_name)
        with self._lock:
            handler = self._handler(spec)
            event = json.loads(payload or b"{}")
            invocation = Invocation(function=spec.logical_id, event=event)
            self.invocations.append(invocation)

            request_id = str(uuid.uuid4())
            context = LambdaContext(
                function_name=spec.logical_id,
                invoked_function_arn=spec.arn,
                aws_request_id=request_id,
                memory_limit_in_mb=spec.memory_size_mb,
                deadline=time.monotonic() + spec.timeout_seconds,
            )
            started = time.monotonic()
            with _captured_logs(invocation.logs), mock.patch.dict(os.environ, _environment(spec)):
                try:
                    result = handler(event, context)
                except Exception as error:  # The Lambda runtime reports every handler error.
                    invocation.error_type, invocation.error_message = type(error).__name__, str(error)
                    # The Python runtime logs an unhandled error in this form.
                    invocation.logs.append(f"ERROR {invocation.error_type}: {invocation.error_message}")
                    return _error_payload(error, request_id), "Unhandled"
                finally:
                    invocation.duration_seconds = time.monotonic() - started
            try:
                body = json.dumps(result).encode()
            except (TypeError, ValueError) as error:
                # The Python runtime's error for a result that is not JSON.
                invocation.error_type, invocation.error_message = "Runtime.MarshalError", str(error)
                marshal_error = {
                    "errorMessage": f"Unable to marshal response: {error}",
                    "errorType": "Runtime.MarshalError",
                }
                return json.dumps(marshal_error).encode(), "Unhandled"
            invocation.result = result
            return body, None

    def _handler(self, spec: FunctionSpec):
        if spec.logical_id not in self._handlers:
            module_name, _, function_name = spec.handler.rpartition(".")
            module = _load_module(self._code_dir / f"{module_name}.py", f"{module_name}_{spec.logical_id}")
            self._handlers[spec.logical_id] = getattr(module, function_name)
        return self._handlers[spec.logical_id]


def _load_module(path: Path, unique_name: str) -> ModuleType:
    if not path.is_file():
        raise FunctionNotFound(f"handler module {path} does not exist")
    spec = importlib.util.spec_from_file_location(f"rehearsal_{unique_name}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    # Dataclasses resolve their annotations through sys.modules while the module runs.
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    # Lambda puts the asset's root on the import path, so handlers import their
    # sibling modules (run_lock, ntm_spec) by name; do the same here.
    code_dir = str(path.parent)
    added = code_dir not in sys.path
    if added:
        sys.path.insert(0, code_dir)
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    finally:
        sys.modules.pop(spec.name, None)  # type: ignore[union-attr]
        if added:
            sys.path.remove(code_dir)
    return module


def _environment(spec: FunctionSpec) -> dict[str, str]:
    return {
        **spec.environment,
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID": ACCOUNT,
    }


def _error_payload(error: Exception, request_id: str) -> bytes:
    return json.dumps(
        {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
    ).encode()


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]):
        super().__init__(level=logging.DEBUG)
        self._lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        extra = {key: value for key, value in vars(record).items() if key not in _STANDARD_RECORD_FIELDS}
        suffix = f" {json.dumps(extra, default=str, sort_keys=True)}" if extra else ""
        self._lines.append(f"{record.levelname} {record.getMessage()}{suffix}")


@contextmanager
def _captured_logs(lines: list[str]) -> Iterator[None]:
    """Collect the root logger's records during one invocation, as CloudWatch Logs would."""
    handler = _ListHandler(lines)
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
