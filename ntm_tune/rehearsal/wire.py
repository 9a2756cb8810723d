"""Respond to some AWS requests on the wire, before moto receives them.

The hook runs on botocore's `before-send` event of boto3's default session, so
it applies to every client created from that session after `install()`: the
Lambda handlers' clients, and the clients that moto's Step Functions
interpreter creates for each Task state. NOTE: that the interpreter creates its
clients with `boto3.client()`, and so from the default session, is a moto 5.2.5
implementation detail. The hook responds to:

- Lambda Invoke, by running the function's real handler in-process;
- SageMaker, from the scripted SageMaker (the recorder's DescribeHyperParameterTuningJob,
  ListTrainingJobsForHyperParameterTuningJob and DescribeTrainingJob);
- the scenario's faults, with the scripted error response.

Every other request goes on to moto's stubber (`moto.core.models.botocore_stubber`,
a moto 5.2.5 internal). botocore runs every `before-send` handler and uses the
first response, so the hook takes moto's stubber off the session and calls it
itself. A request that the hook responds to never reaches moto, so a faulted
PutItem writes nothing. Because the hook works below the client,
boto3's own retry logic still receives each response, so boto3 retries a
scripted throttling error on call 1 as it would in Lambda.
"""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from functools import cache
from urllib.parse import unquote, urlsplit

import boto3
import botocore.loaders
import botocore.session
from botocore.awsrequest import AWSResponse
from moto.core.models import botocore_stubber

from ntm_tune.rehearsal.api_model import request_problems
from ntm_tune.rehearsal.functions import FunctionNotFound, LambdaRuntime
from ntm_tune.rehearsal.sagemaker import LAMBDA_OPERATIONS, ApiError, ScriptedSageMaker, wire_json
from ntm_tune.rehearsal.scenario import Fault

_JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


@cache
def _shared_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


class _RawBody(io.BytesIO):
    """The raw HTTP body that botocore reads: `stream()` for parsed bodies, `read()` for blobs."""

    def stream(self, **_kwargs):
        yield self.getvalue()


def _response(url: str, status: int, body: bytes, headers: dict[str, str] | None = None) -> AWSResponse:
    all_headers = {"x-amzn-RequestId": str(uuid.uuid4()), "Content-Type": _JSON_CONTENT_TYPE, **(headers or {})}
    all_headers["Content-Length"] = str(len(body))
    return AWSResponse(url, status, all_headers, _RawBody(body))


def _error(url: str, status: int, code: str, message: str) -> AWSResponse:
    return _response(url, status, json.dumps({"__type": code, "message": message}).encode())


class WireHook:
    """The `before-send` handler. `install()` registers it and `uninstall()` removes it."""

    def __init__(
        self,
        *,
        runtime: LambdaRuntime,
        sagemaker: ScriptedSageMaker,
        faults: tuple[Fault, ...],
        problems: list[str],
        tables: dict[str, str] | None = None,
    ):
        self._runtime = runtime
        self._sagemaker = sagemaker
        self._faults = faults
        # Fault table role ("run_history", "run_locks") -> the emulated table's name.
        self._tables = tables or {}
        # Shared with the harness, which raises RehearsalError after the run when it is not empty.
        self._problems = problems
        self._calls: Counter[tuple[str, str, str | None]] = Counter()
        self._session: boto3.Session | None = None
        self._previous_session: boto3.Session | None = None

    def install(self) -> None:
        """Give boto3 a fresh default session whose `before-send` handler is this hook instead of moto's stubber."""
        self._previous_session = boto3.DEFAULT_SESSION
        botocore_session = botocore.session.get_session()
        # Service models are read-only, so sharing the loader saves reading them for every rehearsal.
        botocore_session.register_component("data_loader", _shared_loader())
        boto3.setup_default_session(botocore_session=botocore_session)
        self._session = boto3.DEFAULT_SESSION
        self._session.events.unregister("before-send", botocore_stubber)
        self._session.events.register_first("before-send", self)

    def uninstall(self) -> None:
        """Put moto's stubber back and restore boto3's previous default session."""
        if self._session is not None:
            self._session.events.unregister("before-send", self)
            self._session.events.register("before-send", botocore_stubber)
        boto3.DEFAULT_SESSION = self._previous_session

    def __call__(self, request, event_name: str, **kwargs) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        table = _table_name(request) if service == "dynamodb" else None
        self._calls[(service, operation, None)] += 1
        if table:
            self._calls[(service, operation, table)] += 1

        fault = self._fault(service, operation, table)
        if fault is not None:
            return _error(request.url, fault.http_status, fault.error_code, fault.message)
        if service == "lambda" and operation == "Invoke":
            return self._invoke(request)
        if service == "sagemaker":
            return self._sagemaker_call(request, operation)

        response = botocore_stubber(event_name=event_name, request=request, **kwargs)
        if response is None:
            # moto emulates no such endpoint, so responding here keeps the request inside the process.
            self._problems.append(f"{service} {operation}: moto does not emulate this request, so it was not sent")
            return _error(request.url, 501, "NotImplemented", f"{service} {operation} is not emulated")
        return response

    def _fault(self, service: str, operation: str, table: str | None) -> Fault | None:
        for fault in self._faults:
            if (fault.service, fault.operation) != (service, operation):
                continue
            fault_table = self._tables.get(fault.table) if fault.table else None
            if fault.table and fault_table != table:
                continue
            if self._calls[(service, operation, fault_table)] in fault.calls:
                return fault
        return None

    def _invoke(self, request) -> AWSResponse:
        # The path is /2015-03-31/functions/NAME/invocations, NAME URL-encoded when it is an ARN.
        function_name = unquote(urlsplit(request.url).path.split("/")[3])
        try:
            payload, function_error = self._runtime.invoke(function_name, request.body or b"")
        except FunctionNotFound as error:
            self._problems.append(f"Lambda Invoke: {error}")
            return _error(request.url, 404, "ResourceNotFoundException", str(error))
        headers = {"X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/json"}
        if function_error:
            headers["X-Amz-Function-Error"] = function_error
        return _response(request.url, 200, payload, headers)

    def _sagemaker_call(self, request, operation: str) -> AWSResponse:
        params = json.loads(request.body or b"{}")
        if operation not in LAMBDA_OPERATIONS:
            self._problems.append(f"a Lambda handler called SageMaker {operation}, which the rehearsal does not script")
            return _error(request.url, 400, "ValidationException", f"{operation} is not scripted")
        problems = request_problems(operation, params)
        if problems:
            self._problems.append(f"{operation} request from a Lambda handler is invalid:\n  " + "\n  ".join(problems))
            return _error(request.url, 400, "ValidationException", "; ".join(problems))
        response = self._sagemaker.respond(operation, params)
        if isinstance(response, ApiError):
            return _error(request.url, 400, response.code, response.message)
        return _response(request.url, 200, wire_json(response))


def _table_name(request) -> str | None:
    try:
        return json.loads(request.body or b"{}").get("TableName")
    except (TypeError, ValueError):
        return None
