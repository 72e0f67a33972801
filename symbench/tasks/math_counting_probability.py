"""math_counting_probability: competition counting & probability (MATH), imported and
generated.

Imported: the MATH counting_and_probability problems of the release
(`MATH/<split>/counting_and_probability/*.json`); the reference answer is the last
`\\boxed{}` of the stored solution.

Generated: six families with exact answers - committees with gender and person
restrictions, dice events (sums, maxima, distinct faces, conditional), card hands
(hearts/aces counts, one suit, distinct ranks), coin sequences (fair or biased; exact,
at-least, no run of heads), seatings in a row (adjacent, apart, end seats, fixed seats,
left-of) and counting integers by divisibility (inclusion-exclusion).

Complexity -> knobs (`_mathtask.math_knobs`): steps 1 -> 4 adds conditions and harder
events; count 2 -> 7 adds people, dice, cards, coins and digits of the range; scale
6 -> 60 allows bigger dice and divisors. Checked by mathematical equivalence.
"""

from __future__ import annotations

from symbench.core import register
from symbench.tasks._mathtask import MathTask


@register
class MathCountingProbability(MathTask):
    id = "math_counting_probability"
    split = "seen"
    description = "competition counting and probability (exact answer)"
    original_paths = ("MATH/train/counting_and_probability", "MATH/test/counting_and_probability")
    families_module = "symbench.tasks._mathgen_counting"
    subject = "counting_and_probability"
