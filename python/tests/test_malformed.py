"""Files the runtime refuses raise ModelLoadError with the runtime's status name and where verification failed,
exactly as ws_model_load_detailed() reports it in C (c/ref_run.c), and never crash."""

import random
import struct
import zlib

import numpy as np
import pytest

import weightshare as ws
from conftest import FIXTURES

DIGITS_WSM = FIXTURES / "golden" / "digits_mlp.wsm"


def crc_field(buf: bytes) -> int:
    """Offset of Model.crc32 (vtable slot 24 of the root table) found as a reader would; 0 when not found."""
    if len(buf) < 8:
        return 0
    root = struct.unpack_from("<I", buf, 0)[0]
    if root % 4 or root + 4 > len(buf):
        return 0
    vtable = root - struct.unpack_from("<i", buf, root)[0]
    if vtable < 0 or vtable % 2 or vtable + 26 > len(buf) or struct.unpack_from("<H", buf, vtable)[0] <= 24:
        return 0
    offset = struct.unpack_from("<H", buf, vtable + 24)[0]
    pos = root + offset
    return pos if offset and pos % 4 == 0 and pos + 4 <= len(buf) else 0


def reseal(buf: bytearray) -> bytearray:
    """Stores the CRC-32 of the buffer with the CRC field read as zero (schema/wsm.fbs's rule)."""
    pos = crc_field(buf)
    if pos:
        buf[pos:pos + 4] = bytes(4)
        buf[pos:pos + 4] = struct.pack("<I", zlib.crc32(bytes(buf)) & 0xFFFFFFFF)
    return buf


def load_error(data):
    try:
        ws.Model(data)
    except ws.ModelLoadError as error:
        return error
    return None


def as_tuple(error):
    """The binding's error in c/ref_run.c's terms (-1 for "does not apply")."""
    if error is None:
        return None
    minus = lambda v: -1 if v is None else v  # noqa: E731
    return (error.status, minus(error.op), minus(error.tensor), minus(error.input), error.op_name, error.tensor_name)


@pytest.mark.parametrize("data, name", [
    (b"", "WS_ERR_TRUNCATED"),
    (b"WSM1", "WS_ERR_TRUNCATED"),
    (bytes(64), "WS_ERR_IDENTIFIER"),
    (b"this is not a weightshare model, just some text" * 3, "WS_ERR_IDENTIFIER"),
], ids=["empty", "four-bytes", "zeros", "text"])
def test_garbage_is_refused_with_the_runtimes_status(data, name, header_statuses):
    error = load_error(data)
    assert error is not None
    assert error.status_name == name and error.status == header_statuses[name]
    assert name in str(error) and "not a valid .wsm model" in str(error)
    assert error.op is None and error.tensor is None and error.op_name is None


def test_a_flipped_byte_fails_the_crc_and_the_message_names_the_file(tmp_path, header_statuses):
    data = bytearray(DIGITS_WSM.read_bytes())
    data[len(data) // 2] ^= 0x40
    path = tmp_path / "flipped.wsm"
    path.write_bytes(bytes(data))
    with pytest.raises(ws.ModelLoadError) as info:
        ws.Model(path)
    assert info.value.status_name == "WS_ERR_CRC" and info.value.status == header_statuses["WS_ERR_CRC"]
    assert str(info.value).startswith(f"{path}: not a valid .wsm model: WS_ERR_CRC (CRC-32 mismatch")
    assert info.value.source == str(path)
    assert isinstance(info.value, ValueError)


def test_where_verification_failed_is_reported(built_models, reference):
    shape = load_error(built_models / "bad_shape.wsm")
    assert (shape.status_name, shape.op, shape.op_name, shape.tensor) == ("WS_ERR_SHAPE", 0, "add_mismatch", None)
    assert "at operator 0 ('add_mismatch')" in str(shape)
    arena = load_error(built_models / "bad_arena.wsm")
    assert (arena.status_name, arena.tensor, arena.tensor_name) == ("WS_ERR_ARENA", 1, "late")
    assert "tensor 1 ('late')" in str(arena)
    for name in ("bad_shape.wsm", "bad_arena.wsm"):
        assert as_tuple(load_error(built_models / name)) == reference.load_status(built_models / name)


def test_every_truncation_is_refused():
    data = DIGITS_WSM.read_bytes()
    for length in list(range(0, 256)) + list(range(256, len(data), 97)) + [len(data) - 1]:
        assert load_error(data[:length]) is not None, length


def test_mutated_files_get_the_c_runtimes_verdict(tmp_path, reference, header_statuses):
    """Resealed mutations (so most get past the CRC): the binding's status and location equal the C program's."""
    rng = random.Random(17)
    names = {code: name for name, code in header_statuses.items()}
    seen = set()
    original = (FIXTURES / "golden" / "mobilenet.wsm").read_bytes()
    for case in range(120):
        data = bytearray(original)
        for _ in range(rng.choice([1, 1, 2, 4])):
            pos = rng.randrange(len(data))
            data[pos] = rng.randrange(256) if rng.random() < 0.5 else data[pos] ^ (1 << rng.randrange(8))
        reseal(data)
        path = tmp_path / f"m{case}.wsm"
        path.write_bytes(bytes(data))
        error = load_error(bytes(data))
        assert as_tuple(error) == reference.load_status(path), case
        if error is not None:
            assert error.status_name == names[error.status]
            seen.add(error.status_name)
        else:
            model = ws.Model(bytes(data))  # accepted: it must run
            model.run(*[np.zeros(s.shape, np.float32) for s in model.inputs])
    assert len(seen) >= 3, seen  # the mutations reach the verifier's later stages, not only the header


def test_not_a_file_or_buffer():
    with pytest.raises(FileNotFoundError):
        ws.Model("/nonexistent/model.wsm")
    with pytest.raises(TypeError, match="takes a path or the bytes"):
        ws.Model(42)
