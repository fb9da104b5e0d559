"""Every random choice of a run comes from its seed: one independent stream per named component."""

from __future__ import annotations

import random


def derive_rng(seed: int, *labels: object) -> random.Random:
    """A ``random.Random`` for one component, e.g. ``derive_rng(seed, "route", "perp", "vault-l1")``.

    String seeding is stable across processes (it does not depend on PYTHONHASHSEED),
    and streams for different labels are independent, so adding a component does not
    shift the randomness of the others.
    """
    return random.Random(":".join(["xmargin", str(seed), *map(str, labels)]))
