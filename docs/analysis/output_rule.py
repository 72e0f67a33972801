"""What a guide that reads the code's output by one rule would score, in hindsight.

The rule: keep the all_code answer, but take the all_text answer where the code crashed,
timed out, printed nothing or never ran. Computed from a demo store's two fixed runs
(their stored scores), so it costs no model call; the intervals are the report's paired
bootstrap. An after-the-fact analysis of samples already seen, not a test:

    python docs/analysis/output_rule.py prereg6-out/codesteer.db
"""

from __future__ import annotations

import sqlite3
import sys
from collections import defaultdict

from codesteer_cli.reporting.stats import paired_bootstrap

QUERY = """
select s.id, s.task, e.score >= 1.0,
       (select ce.exit_status != 0 or ce.timed_out or trim(coalesce(ce.stdout, '')) = ''
        from code_executions ce where ce.episode_id = e.id order by ce.id limit 1)
from episodes e join runs r on r.id = e.run_id join samples s on s.id = e.sample_id
where r.name = ? and e.status = 'finished'
"""


def main(path: str, code_run: str = "demo-all-code", text_run: str = "demo-all-text") -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    code = {
        sid: (task, bool(ok), failed is None or bool(failed))
        for sid, task, ok, failed in db.execute(QUERY, (code_run,))
    }
    text = {sid: bool(ok) for sid, _, ok, _ in db.execute(QUERY, (text_run,))}
    ids = sorted(set(code) & set(text))
    rule = {i: text[i] if code[i][2] else code[i][1] for i in ids}
    per_task: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for i in ids:
        row = per_task[code[i][0]]
        row[0] += 1
        row[1] += code[i][1]
        row[2] += text[i]
        row[3] += rule[i]
        row[4] += code[i][2]
    print(f"{'task':20} {'n':>3} {'code':>5} {'text':>5} {'rule':>5} {'failed':>6}")
    for task, (n, c, t, r, f) in sorted(per_task.items()):
        print(f"{task:20} {n:3} {c:5} {t:5} {r:5} {f:6}")
    for name, other in ((code_run, {i: code[i][1] for i in ids}), (text_run, text)):
        d = paired_bootstrap([float(other[i]) for i in ids], [float(rule[i]) for i in ids])
        print(
            f"rule - {name}: {d.diff:+.1f} [{d.low:+.1f}, {d.high:+.1f}]  "
            f"{d.improved} better / {d.worsened} worse"
        )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python docs/analysis/output_rule.py STORE.db")
    main(sys.argv[1])
