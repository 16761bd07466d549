"""The demo's pupil support for the current term, up to the demo's today.

From the start of term the 语文、数学、英语 teachers of each class tutor the pupils who were below the
pass line in their subject at last term's 期末, in small groups about once a fortnight; after this
term's 期中统考 each school's 学困生 go on their teachers' tutoring lists (as the 学生帮扶 page's
one click puts them) and most of them have had a first session by the demo's today. About a third
of the 学困生 are flagged 双困生 with a reason. Every row passes the checks the window makes.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlite_utils import Database

from app.db.writes import SYSTEM, bulk_insert, new_id
from app.errors import ValidationError
from app.demo.routine import school_days
from app.stats.lists import struggling
from app.support.plans import make_plans
from app.support.records import difficulty_values, tutoring_values

CONTENT = {
    "语文": ("订正单元测验错题,讲解阅读理解答题方法", "生字词听写与订正", "指导看图写话,逐句修改", "朗读课文,练习复述"),
    "数学": ("讲解应用题数量关系,画线段图", "口算练习与错题订正", "复习乘法口诀和竖式计算", "讲解单位换算,当堂练习"),
    "英语": ("单词拼读与默写", "对话朗读,纠正发音", "复习句型,完成练习册"),
}
OUTCOMES = ("能独立完成同类题", "正确率有提高,还需巩固", "书写更认真了", "基本掌握,下周再检查", "")
DIFFICULTY_REASONS = (("家庭", "父母外出务工,祖辈监护,作业无人督促"), ("行为", "上课注意力不集中,作业经常不交"),
                      ("行为和家庭", "单亲家庭,情绪波动大,厌学"), ("家庭", "家庭经济困难,常请假帮家里干农活"),
                      ("行为", "沉迷手机游戏,上课打瞌睡"))


def _below_pass(db: Database, exam_id: str) -> dict[tuple[str, str], list[str]]:
    """Return {(class_id now, subject name): pupil ids below 60 % of full marks in `exam_id`}."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pupil_id, class_id, name in db.execute(
            "SELECT m.pupil_id, p.class_id, sj.name FROM mark m JOIN pupil p ON p.id = m.pupil_id"
            " JOIN subject sj ON sj.id = m.subject_id JOIN exam_subject es ON es.exam_id = m.exam_id"
            " AND es.subject_id = m.subject_id WHERE m.exam_id = ? AND m.status = '正常' AND sj.is_main = 1"
            " AND m.score * 100 < es.full_marks * es.pass_pct AND p.status IN ('在读', '转入')"
            " ORDER BY p.student_no", [exam_id]):
        out[(class_id, name)].append(pupil_id)
    return out


def _session(rng: random.Random, teacher_id: str, subject: tuple[str, str], pupils: list[str],
             day: dt.date) -> dict:
    return {"teacher_id": teacher_id, "pupil_ids": pupils, "date": day.isoformat(), "subject_id": subject[0],
            "minutes": rng.choice((20, 30, 30, 40, 45)), "content": rng.choice(CONTENT[subject[1]]),
            "outcome": rng.choice(OUTCOMES)}


def seed_support(db: Database, rng: random.Random, term_id: str, today: dt.date) -> tuple[int, int]:
    """Write the term's tutoring records, tutoring lists and 双困生 flags; return (sessions, flags).
    Raises ValidationError should a generated row not pass."""
    term = dict(next(iter(db.query("SELECT * FROM term WHERE id = ?", [term_id]))))
    final = db.execute("SELECT e.id FROM exam e JOIN term t ON t.id = e.term_id WHERE e.type = '期末'"
                       " AND t.code < ? ORDER BY t.code DESC LIMIT 1", [term["code"]]).fetchone()
    midterm = db.execute("SELECT id, date FROM exam WHERE type = '统考' AND term_id = ? ORDER BY date DESC LIMIT 1",
                         [term_id]).fetchone()
    subjects = {r["id"]: (r["id"], r["name"]) for r in db.query("SELECT id, name FROM subject WHERE name IN"
                                                                " ('语文', '数学', '英语')")}
    days = school_days(dt.date.fromisoformat(term["start_date"]) + dt.timedelta(days=7), today)
    sessions: list[dict] = []
    if final is not None:
        weak = _below_pass(db, final[0])
        for teacher_id, class_id, subject_id in db.execute(
                "SELECT teacher_id, class_id, subject_id FROM teaching_assignment WHERE term_id = ?"
                " ORDER BY class_id, subject_id", [term_id]).fetchall():
            if subject_id not in subjects:
                continue
            pupils = weak.get((class_id, subjects[subject_id][1]), [])
            if not pupils or rng.random() < 0.15:  # a few teachers keep no records
                continue
            for day in days[rng.randrange(3)::rng.choice((8, 10, 12))]:
                group = rng.sample(pupils, min(len(pupils), rng.randint(1, 3)))
                sessions.append(_session(rng, teacher_id, subjects[subject_id], group, day))
    flags: list[dict] = []
    if midterm is not None:
        after = [d for d in days if d.isoformat() > (midterm[1] or "")]
        schools = [r[0] for r in db.execute("SELECT DISTINCT school_id FROM mark WHERE exam_id = ?", [midterm[0]])]
        for school_id in sorted(schools):
            make_plans(db, SYSTEM, midterm[0], school_id, lists=("学困生",))
            for row in db.query("SELECT teacher_id, pupil_id, subject_id FROM tutoring_plan WHERE school_id = ?"
                                " AND term_id = ? ORDER BY teacher_id, pupil_id", [school_id, term_id]):
                if after and row["subject_id"] in subjects and rng.random() < 0.45:
                    sessions.append(_session(rng, row["teacher_id"], subjects[row["subject_id"]], [row["pupil_id"]],
                                             rng.choice(after)))
            for pupil in struggling(db, midterm[0], school_id=school_id):
                if rng.random() < 0.35:
                    kind, reason = rng.choice(DIFFICULTY_REASONS)
                    flags.append({"pupil_id": pupil["pupil_id"], "kind": kind, "reason": reason,
                                  "date": rng.choice(days).isoformat()})
    _write(db, sessions, flags)
    return len(sessions), len(flags)


def _write(db: Database, sessions: list[dict], flags: list[dict]) -> None:
    tutoring, links = [], []
    for values in sessions:
        row, pupil_ids, problems = tutoring_values(db, values)
        if problems:
            raise ValidationError(problems)
        row["id"] = new_id()
        tutoring.append(row)
        links += [{"school_id": row["school_id"], "term_id": row["term_id"], "tutoring_id": row["id"],
                   "pupil_id": pupil_id} for pupil_id in pupil_ids]
    bulk_insert(db, SYSTEM, "tutoring", tutoring, "演示数据:辅导记录")
    bulk_insert(db, SYSTEM, "tutoring_pupil", links, "演示数据:辅导学生")
    rows = []
    for values in flags:
        row, problems = difficulty_values(db, values)
        if problems:
            raise ValidationError(problems)
        rows.append(row)
    bulk_insert(db, SYSTEM, "pupil_difficulty", rows, "演示数据:双困生")
