"""Parse Triton's config.pbtxt and TF Serving's models.config with protobuf's text format.

The message shapes (field names and types) are declared here from the servers' documented
schemas, the subset ipsbench writes; protobuf's text parser then rejects any unknown field or
wrong type, which is what the servers themselves would do.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

F = descriptor_pb2.FieldDescriptorProto


def _field(msg, name, number, ftype, label=F.LABEL_OPTIONAL, type_name=None):
    f = msg.field.add(name=name, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = type_name


def _pool() -> descriptor_pool.DescriptorPool:
    fd = descriptor_pb2.FileDescriptorProto(name="ipsbench_test_configs.proto", package="t")
    dtype = fd.enum_type.add(name="DataType")
    for i, n in enumerate(
        [
            "TYPE_INVALID",
            "TYPE_BOOL",
            "TYPE_UINT8",
            "TYPE_UINT16",
            "TYPE_UINT32",
            "TYPE_UINT64",
            "TYPE_INT8",
            "TYPE_INT16",
            "TYPE_INT32",
            "TYPE_INT64",
            "TYPE_FP16",
            "TYPE_FP32",
            "TYPE_FP64",
            "TYPE_STRING",
            "TYPE_BF16",
        ]
    ):
        dtype.value.add(name=n, number=i)
    tin = fd.message_type.add(name="ModelInput")
    _field(tin, "name", 1, F.TYPE_STRING)
    _field(tin, "data_type", 2, F.TYPE_ENUM, type_name=".t.DataType")
    _field(tin, "dims", 4, F.TYPE_INT64, F.LABEL_REPEATED)
    tout = fd.message_type.add(name="ModelOutput")
    _field(tout, "name", 1, F.TYPE_STRING)
    _field(tout, "data_type", 2, F.TYPE_ENUM, type_name=".t.DataType")
    _field(tout, "dims", 3, F.TYPE_INT64, F.LABEL_REPEATED)
    mc = fd.message_type.add(name="TritonModelConfig")
    _field(mc, "name", 1, F.TYPE_STRING)
    _field(mc, "platform", 2, F.TYPE_STRING)
    _field(mc, "max_batch_size", 4, F.TYPE_INT32)
    _field(mc, "input", 5, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".t.ModelInput")
    _field(mc, "output", 6, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".t.ModelOutput")
    sc = fd.message_type.add(name="ServingModelConfig")
    _field(sc, "name", 1, F.TYPE_STRING)
    _field(sc, "base_path", 2, F.TYPE_STRING)
    _field(sc, "model_platform", 4, F.TYPE_STRING)
    cl = fd.message_type.add(name="ModelConfigList")
    _field(cl, "config", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".t.ServingModelConfig")
    ms = fd.message_type.add(name="ModelServerConfig")
    _field(ms, "model_config_list", 1, F.TYPE_MESSAGE, type_name=".t.ModelConfigList")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return pool


_POOL = _pool()


def _parse(text: str, full_name: str):
    cls = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(full_name))
    return text_format.Parse(text, cls())


def parse_triton_config(text: str):
    return _parse(text, "t.TritonModelConfig")


def parse_tfserving_config(text: str):
    return _parse(text, "t.ModelServerConfig")


def dtype_name(value: int) -> str:
    return _POOL.FindEnumTypeByName("t.DataType").values_by_number[value].name
