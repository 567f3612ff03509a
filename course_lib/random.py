"""course_lib's random number generator: one numpy Generator that ``manual_seed`` resets."""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind randn, rand, randint, dropout and layer initialisation.

    The numbers differ from torch's for the same seed (a different generator), but a seeded
    course_lib program gives the same numbers on every run.
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)
    return _generator


def generator() -> np.random.Generator:
    """The current generator (read it at call time: manual_seed replaces it)."""
    return _generator
