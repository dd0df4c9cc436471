"""How the parts of a profile become one personal score per paper.

A profile has up to four parts: the interest text, ticked topics, seed papers and
clicked papers. Each gives a similarity per paper. They are combined two ways:

* **The interest text matched something: it leads, the other parts sharpen it.**
  What a reader wrote is the most specific thing we know; topics are broad, and a
  handful of seeds or clicks is thin evidence that pulls towards the papers it
  happens to resemble. So the other parts may only *add* to the interest score,
  in proportion to it::

      personal = base * (1 + sum_p w_p * part_p / max(part_p)),   base = interest / max(interest)

  A paper the interest text does not match stays at zero whatever the reader
  clicked, and a paper is never overtaken by one whose interest score is less
  than ``1 / (1 + sum_p w_p)`` of its own: feedback reorders papers the interest
  text already rates alike, it does not replace the interest. ``w_p`` grows with
  the evidence (``evidence_weight``): one seed counts for less than five.
* **No interest text, or it matched nothing: CombSUM.** The parts present are a
  weighted mean, each a similarity in [0, 1] (what a reader who only ticked topics
  or only gave seed papers gets).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]


def evidence_weight(count: NDArray[np.int64], cap: float, half: float) -> FloatArray:
    """``cap * n / (n + half)``: a part's sharpening weight for ``n`` items of evidence."""
    n = count.astype(np.float32)
    weight: FloatArray = (cap * n / (n + half)).astype(np.float32)
    return weight


def row_scaled(scores: FloatArray) -> FloatArray:
    """Each row divided by its maximum (all-zero rows stay zero)."""
    top = scores.max(axis=1, keepdims=True)
    scaled: FloatArray = scores / np.maximum(top, 1e-12)
    return scaled
