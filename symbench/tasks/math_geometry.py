"""math_geometry: competition geometry (MATH), imported and generated.

Imported: the MATH geometry problems of the release (`MATH/<split>/geometry/*.json`);
the reference answer is the last `\\boxed{}` of the stored solution.

Generated: six families with exact sympy answers - right triangles (hypotenuse, area
from a leg and the hypotenuse, altitude, inradius, median), polygons on the coordinate
plane (shoelace area, radical perimeter), circles (arc, sector, chord, segment, area
outside an inscribed regular polygon), angles (regular polygon, missing angle, triangle
relations, arithmetic angle sequences), lines (distance, point-line distance,
intersection point, area bounded by two lines and the x-axis) and solids.

Complexity -> knobs (`_mathtask.math_knobs`): steps 1 -> 4 unlocks the longer question
kinds of each family; count 2 -> 7 sets polygon vertices and sides; scale 6 -> 60 bounds
lengths and coordinates. Checked by mathematical equivalence (`_mathequiv`).
"""

from __future__ import annotations

from symbench.core import register
from symbench.tasks._mathtask import MathTask


@register
class MathGeometry(MathTask):
    id = "math_geometry"
    split = "seen"
    description = "competition geometry: lengths, areas, angles, coordinates (exact answer)"
    original_paths = ("MATH/train/geometry", "MATH/test/geometry")
    families_module = "symbench.tasks._mathgen_geometry"
    subject = "geometry"
