"""An independent reader of SageMaker recordIO-protobuf files, for checking the writer.

It shares no code with ntm_tune.prepare.recordio. The framing follows the SageMaker
Python SDK 2.x (`serializer_utils.read_recordio`): little-endian uint32 magic 0xCED7230A,
uint32 payload length, payload, zero padding to a multiple of 4. The messages are built
at test time from a FileDescriptorProto that restates aialgs.data's record.proto (proto2)
and are parsed by the `protobuf` package.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from functools import cache

import numpy as np
import scipy.sparse as sp
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

MAGIC = 0xCED7230A

_FIELD = descriptor_pb2.FieldDescriptorProto


def _tensor(name: str, value_type: int) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=name)
    for number, field_name, field_type in (
        (1, "values", value_type),
        (2, "keys", _FIELD.TYPE_UINT64),
        (3, "shape", _FIELD.TYPE_UINT64),
    ):
        field = message.field.add(name=field_name, number=number, type=field_type, label=_FIELD.LABEL_REPEATED)
        field.options.packed = True
    return message


def _map_entry(name: str) -> descriptor_pb2.DescriptorProto:
    entry = descriptor_pb2.DescriptorProto(name=name)
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=_FIELD.TYPE_STRING, label=_FIELD.LABEL_OPTIONAL)
    entry.field.add(
        name="value", number=2, type=_FIELD.TYPE_MESSAGE, label=_FIELD.LABEL_OPTIONAL, type_name=".aialgs.data.Value"
    )
    return entry


@cache
def record_class() -> type:
    """Return the aialgs.data.Record message class."""
    file = descriptor_pb2.FileDescriptorProto(name="test_record.proto", package="aialgs.data", syntax="proto2")
    file.message_type.append(_tensor("Float32Tensor", _FIELD.TYPE_FLOAT))
    file.message_type.append(_tensor("Float64Tensor", _FIELD.TYPE_DOUBLE))
    file.message_type.append(_tensor("Int32Tensor", _FIELD.TYPE_INT32))

    value = descriptor_pb2.DescriptorProto(name="Value")
    value.oneof_decl.add(name="value")
    for number, name in ((2, "float32_tensor"), (3, "float64_tensor"), (7, "int32_tensor")):
        value.field.add(
            name=name,
            number=number,
            type=_FIELD.TYPE_MESSAGE,
            label=_FIELD.LABEL_OPTIONAL,
            type_name=f".aialgs.data.{name.split('_')[0].capitalize()}Tensor",
            oneof_index=0,
        )
    file.message_type.append(value)

    record = descriptor_pb2.DescriptorProto(name="Record")
    record.nested_type.append(_map_entry("FeaturesEntry"))
    record.nested_type.append(_map_entry("LabelEntry"))
    record.field.add(
        name="features",
        number=1,
        type=_FIELD.TYPE_MESSAGE,
        label=_FIELD.LABEL_REPEATED,
        type_name=".aialgs.data.Record.FeaturesEntry",
    )
    record.field.add(
        name="label",
        number=2,
        type=_FIELD.TYPE_MESSAGE,
        label=_FIELD.LABEL_REPEATED,
        type_name=".aialgs.data.Record.LabelEntry",
    )
    for number, name in ((3, "uid"), (4, "metadata"), (5, "configuration")):
        record.field.add(name=name, number=number, type=_FIELD.TYPE_STRING, label=_FIELD.LABEL_OPTIONAL)
    file.message_type.append(record)

    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("aialgs.data.Record"))


def read_payloads(data: bytes) -> Iterator[bytes]:
    """Yield each record's payload; fail on a wrong magic, a short payload or non-zero padding."""
    offset = 0
    while offset < len(data):
        magic, length = struct.unpack_from("<II", data, offset)
        assert magic == MAGIC, f"wrong magic 0x{magic:08x} at byte {offset}"
        offset += 8
        payload = data[offset : offset + length]
        assert len(payload) == length, f"record at byte {offset - 8} is cut short"
        offset += length
        padding = -length % 4
        assert data[offset : offset + padding] == bytes(padding), f"non-zero padding at byte {offset}"
        offset += padding
        yield payload


def read_sparse_records(data: bytes) -> sp.csr_matrix:
    """Decode sparse Float32 records without labels into a float32 CSR matrix, one row per record."""
    record_type = record_class()
    rows, columns, values, widths = [], [], [], set()
    for row, payload in enumerate(read_payloads(data)):
        record = record_type()
        record.ParseFromString(payload)
        assert list(record.features) == ["values"], f"record {row} has features {list(record.features)}"
        assert len(record.label) == 0, f"record {row} has a label"
        tensor_value = record.features["values"]
        assert tensor_value.WhichOneof("value") == "float32_tensor"
        tensor = tensor_value.float32_tensor
        assert len(tensor.shape) == 1, f"record {row} has shape {list(tensor.shape)}"
        assert len(tensor.keys) == len(tensor.values)
        widths.add(tensor.shape[0])
        rows.extend([row] * len(tensor.keys))
        columns.extend(tensor.keys)
        values.extend(tensor.values)
    n_rows = row + 1 if data else 0
    assert len(widths) <= 1, f"records disagree on the width: {widths}"
    width = widths.pop() if widths else 0
    # Build CSR directly, so that explicit zeros and the stored key order are kept.
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.add.at(indptr, np.asarray(rows, dtype=np.int64) + 1, 1)
    return sp.csr_matrix(
        (np.asarray(values, dtype=np.float32), np.asarray(columns, dtype=np.int64), np.cumsum(indptr)),
        shape=(n_rows, width),
    )
