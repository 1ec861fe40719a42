"""WeightShare from Python: run ``.wsm`` models with the C runtime, and drive the ``wsc`` compiler.

    >>> import weightshare as ws
    >>> model = ws.Model("out/model.wsm")
    >>> [probabilities] = model.run(x_test)        # x_test: (n, 64) for an input of shape (1, 64)

``weightshare.wsc`` wraps the command-line compiler (search, compile, verify, inspect, ...).
"""

from . import wsc
from ._model import Model, ModelLoadError, TensorSpec
from ._runtime import FORMAT_VERSION

__all__ = ["Model", "ModelLoadError", "TensorSpec", "FORMAT_VERSION", "wsc", "__version__"]
__version__ = "0.1.0"
