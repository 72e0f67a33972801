"""Reports: success rates, the paper's normalized score, costs, diffs, pictures.

- `compare`: the published results (CodeSteer paper, Tables 1 and 8) and their names.
- `stats`: normalized score, paired bootstrap.
- `tables`: run selection, SQL aggregation, the report and its text formats.
- `plots`: PNG pictures (matplotlib, lazily imported); `html`: one self-contained page.
"""
