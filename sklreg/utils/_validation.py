"""Resolution of the runtime hyperparameters ``device`` and ``dtype``."""

import numpy as np
import torch

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(device) -> torch.device:
    """Turn the ``device`` hyperparameter into an available ``torch.device``.

    ``"auto"`` picks the first CUDA device when one is available, else the CPU.

    Raises
    ------
    ValueError
        If ``device`` is not a device string, or names a CUDA device that this
        machine does not have.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"The 'device' parameter must be 'cpu', 'cuda', 'cuda:N' or 'auto'. "
            f"Got {device!r} instead."
        ) from exc
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(
            f"The 'device' parameter must be 'cpu', 'cuda', 'cuda:N' or 'auto'. "
            f"Got {device!r} instead."
        )
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on "
                "this machine; use device='cpu' or device='auto'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are available."
            )
    return resolved


def resolve_dtype(dtype, X_dtype) -> torch.dtype:
    """The training dtype: ``dtype`` if set, else float32 for float32 input and
    float64 for anything else (float64, integers, booleans, objects)."""
    if dtype is not None:
        return _DTYPES[dtype]
    return torch.float32 if np.dtype(X_dtype) == np.float32 else torch.float64
