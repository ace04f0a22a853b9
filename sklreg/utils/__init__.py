"""Validation, seeding and warning helpers shared by the estimators."""

from ._seeding import derive_seeds, draw_seed
from ._validation import resolve_device, resolve_dtype
from ._warnings import warn

__all__ = ["derive_seeds", "draw_seed", "resolve_device", "resolve_dtype", "warn"]
