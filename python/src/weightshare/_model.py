"""`Model`: a verified ``.wsm`` file run with the WeightShare C runtime, from NumPy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _runtime

__all__ = ["Model", "TensorSpec", "ModelLoadError"]


class ModelLoadError(ValueError):
    """The C runtime refused a ``.wsm`` file (``ws_model_load_detailed``).

    Attributes:
        status: the runtime's status code (negative), e.g. -7.
        status_name: its name in ``ws_runtime.h``, e.g. ``"WS_ERR_CRC"``.
        status_message: the runtime's text for it (``ws_status_string``).
        op, tensor, input: where verification failed (``ws_load_error``); ``None`` where it does not apply.
        op_name, tensor_name: the names the file gives that operator and tensor, or ``None``.
        source: the path that was loaded, or ``None`` for bytes.
    """

    def __init__(self, status: int, status_name: str, status_message: str, op: Optional[int], tensor: Optional[int],
                 input: Optional[int], op_name: Optional[str], tensor_name: Optional[str],
                 source: Optional[str] = None):
        self.status = status
        self.status_name = status_name
        self.status_message = status_message
        self.op = op
        self.tensor = tensor
        self.input = input
        self.op_name = op_name
        self.tensor_name = tensor_name
        self.source = source
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = []
        if self.op is not None:
            where.append(f"operator {self.op}" + (f" ('{self.op_name}')" if self.op_name else ""))
        if self.input is not None:
            where.append(f"input slot {self.input}")
        if self.tensor is not None:
            where.append(f"tensor {self.tensor}" + (f" ('{self.tensor_name}')" if self.tensor_name else ""))
        what = f"{self.source}: " if self.source else ""
        text = f"{what}not a valid .wsm model: {self.status_name} ({self.status_message})"
        return text + (" at " + ", ".join(where) if where else "")


@dataclass(frozen=True)
class TensorSpec:
    """A graph input or output: its name in the file, its static shape and its dtype (always float32)."""

    name: str
    shape: Tuple[int, ...]
    dtype: np.dtype
    tensor_id: int

    @property
    def size(self) -> int:
        """Number of elements of one sample."""
        return int(np.prod(self.shape, dtype=np.int64))


def _none_if_negative(value: int) -> Optional[int]:
    return None if value < 0 else value


class Model:
    """A ``.wsm`` model, verified by the C runtime when it is made and run with it.

    ``Model(path_or_bytes)`` takes a file path (``str`` or ``os.PathLike``) or the file's bytes (any bytes-like
    object; it is copied). A file the runtime refuses raises :class:`ModelLoadError` naming the runtime's status
    and where verification failed.

    Thread safety: a Model is immutable after it is made; :meth:`run` allocates its own arena on every call and
    releases the GIL while the runtime works, so several threads may call ``run`` on one Model at once.
    Nothing is global: every Model owns its copy of the file, freed with the object.
    """

    def __init__(self, path_or_bytes: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]):
        source: Optional[str] = None
        if isinstance(path_or_bytes, (str, os.PathLike)):
            source = os.fspath(path_or_bytes)
            with open(source, "rb") as f:
                data: Any = f.read()
        else:
            data = path_or_bytes
            try:
                memoryview(data)
            except TypeError:
                raise TypeError("Model() takes a path or the bytes of a .wsm file, not "
                                f"{type(path_or_bytes).__name__}") from None
        model, error = _runtime.load(data)
        if model is None:
            status, name, message, op, tensor, slot, op_name, tensor_name = error
            raise ModelLoadError(status, name, message, _none_if_negative(op), _none_if_negative(tensor),
                                 _none_if_negative(slot), op_name, tensor_name, source)
        self._model = model
        self._source = source
        f32 = np.dtype(np.float32)
        self._inputs = tuple(TensorSpec(n, tuple(s), f32, t) for n, s, t in model.inputs())
        self._outputs = tuple(TensorSpec(n, tuple(s), f32, t) for n, s, t in model.outputs())

    # ---- facts ---------------------------------------------------------------------------------------------

    @property
    def inputs(self) -> Tuple[TensorSpec, ...]:
        """The graph inputs in order: name, shape, dtype (float32)."""
        return self._inputs

    @property
    def outputs(self) -> Tuple[TensorSpec, ...]:
        """The graph outputs in order: name, shape, dtype (float32)."""
        return self._outputs

    @property
    def arena_bytes(self) -> int:
        """Bytes of activation memory (the arena) one inference needs."""
        return self._model.arena_bytes()

    @property
    def file_bytes(self) -> int:
        """Length of the ``.wsm`` file."""
        return self._model.file_bytes()

    @property
    def codebook(self) -> np.ndarray:
        """The shared values (float32, ascending), a fresh read-only array; empty when nothing is shared."""
        values = np.frombuffer(self._model.codebook(), dtype="<f4").astype(np.float32)
        values.flags.writeable = False
        return values

    @property
    def operators(self) -> List[Tuple[str, str]]:
        """``(name, op type)`` of every operator in execution order (op type as the schema names it)."""
        return self._model.operators()

    @property
    def metadata(self) -> Dict[str, Any]:
        """The file's metadata (tool version, source model SHA-256, K, M, scores, seed, metric, solution JSON)
        and index stream facts (bit width, index count, stream bytes)."""
        return self._model.metadata()

    def __repr__(self) -> str:
        where = f"'{self._source}'" if self._source else f"<{self.file_bytes} bytes>"
        ins = ", ".join(f"{s.name}{list(s.shape)}" for s in self._inputs)
        outs = ", ".join(f"{s.name}{list(s.shape)}" for s in self._outputs)
        return f"Model({where}: ({ins}) -> ({outs}), arena {self.arena_bytes} bytes)"

    # ---- inference -----------------------------------------------------------------------------------------

    def run(self, *arrays: Any) -> List[np.ndarray]:
        """Runs the model on one array per graph input and returns one float32 array per graph output.

        Each array may be:
          - one sample, of the input's exact shape: outputs have their exact shapes;
          - a batch stacked on a new leading axis, ``(n, *shape)``: outputs are ``(n, *output_shape)``;
          - when the input's first dimension is 1 (a batch axis of one), a batch along that axis,
            ``(n, *shape[1:])``: outputs whose first dimension is 1 become ``(n, *output_shape[1:])``.
        All inputs must take the same form and the same n. Values are converted to float32 (real numbers only).
        Each sample is run separately by the C runtime, exactly as on a board.
        """
        if len(arrays) != len(self._inputs):
            names = ", ".join(f"'{s.name}' {list(s.shape)}" for s in self._inputs)
            raise TypeError(f"run() takes {len(self._inputs)} array(s), one per input ({names}); "
                            f"got {len(arrays)}")
        forms = []
        prepared = []
        for spec, array in zip(self._inputs, arrays):
            x = self._as_float32(spec, array)
            form, n = self._batch_form(spec, x.shape)
            forms.append((form, n))
            prepared.append(np.ascontiguousarray(x, dtype=np.float32))
        kinds = {f for f, _ in forms}
        counts = {n for _, n in forms}
        if len(kinds) > 1 or len(counts) > 1:
            described = ", ".join(f"'{s.name}': {self._describe_form(f, n)}" for s, (f, n) in zip(self._inputs, forms))
            raise ValueError("run(): all inputs must be single samples, or batches of the same size in the same "
                             f"form; got {described}")
        form, n = forms[0] if forms else ("single", 1)
        outputs = [np.empty((n,) + s.shape, dtype=np.float32) for s in self._outputs]
        self._model.run(prepared, outputs, n)
        if form == "single":
            return [o.reshape(s.shape) for o, s in zip(outputs, self._outputs)]
        if form == "axis0":
            return [o.reshape((n,) + s.shape[1:]) if len(s.shape) >= 1 and s.shape[0] == 1 else o
                    for o, s in zip(outputs, self._outputs)]
        return outputs

    def __call__(self, *arrays: Any) -> List[np.ndarray]:
        """Same as :meth:`run`."""
        return self.run(*arrays)

    @staticmethod
    def _as_float32(spec: TensorSpec, array: Any) -> np.ndarray:
        x = np.asarray(array)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"input '{spec.name}' takes real numbers (converted to float32); got dtype {x.dtype}")
        return x

    @staticmethod
    def _batch_form(spec: TensorSpec, shape: Tuple[int, ...]) -> Tuple[str, int]:
        if shape == spec.shape:
            return "single", 1
        if len(shape) == len(spec.shape) + 1 and shape[1:] == spec.shape:
            return "stacked", shape[0]
        if len(spec.shape) >= 1 and spec.shape[0] == 1 and len(shape) == len(spec.shape) and shape[1:] == spec.shape[1:]:
            return "axis0", shape[0]
        expected = f"{tuple(spec.shape)} or a batch {('n',) + tuple(spec.shape)}"
        if len(spec.shape) >= 1 and spec.shape[0] == 1:
            expected += f" or {('n',) + tuple(spec.shape[1:])}"
        hint = ""
        if int(np.prod(shape, dtype=np.int64)) % max(spec.size, 1) == 0 and spec.size > 0 and len(shape) > 0:
            hint = (" (the element count fits, the layout does not: reshape it explicitly if the data is laid out "
                    "as the model expects, e.g. NCHW vs NHWC)")
        raise ValueError(f"input '{spec.name}' expects shape {expected}; got {tuple(shape)}{hint}")

    @staticmethod
    def _describe_form(form: str, n: int) -> str:
        return "one sample" if form == "single" else f"a batch of {n} ({'new leading axis' if form == 'stacked' else 'along axis 0'})"
