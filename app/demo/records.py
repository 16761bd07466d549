"""The demo's school records for the current term: a few pupils who left (控辍保学).

They come from their own random stream (seeded from the demo's seed), so the rest of the demo —
pupils, marks, observations — stays exactly as it was without them.
"""
from __future__ import annotations

import random

# (status date, reason) of the pupils who left after the mid-term exam; the last came back.
DROPOUTS = (("2026-11-13", "随父母外出务工,未办转学手续"), ("2026-11-13", "厌学,多次劝返未果"),
            ("2026-11-14", "家庭困难,在家照顾弟妹"))
RETURNED = (("2026-11-13", "流失", "沉迷网络,不愿到校"), ("2026-11-16", "在读", "经家访劝返复学"))


def mark_dropouts(rng: random.Random, pupils: list[dict]) -> list[dict]:
    """Mark a few pupils of grades 4–6 (在读) as 流失 — one of them back 在读 after a home visit —
    changing their rows in `pupils`; return the pupil_status_change rows to write after the pupils."""
    candidates = [p for p in pupils if p["status"] == "在读" and p["grade"] >= 4]
    chosen = rng.sample(candidates, min(len(candidates), len(DROPOUTS) + 1))
    changes = []
    for pupil, (day, reason) in zip(chosen, DROPOUTS):
        pupil["status"], pupil["status_date"] = "流失", day
        changes.append({"school_id": pupil["school_id"], "pupil_id": pupil["id"], "status": "流失",
                        "date": day, "note": reason})
    if len(chosen) > len(DROPOUTS):
        back = chosen[-1]
        for day, status, note in RETURNED:
            changes.append({"school_id": back["school_id"], "pupil_id": back["id"], "status": status,
                            "date": day, "note": note})
        back["status"], back["status_date"] = RETURNED[-1][1], RETURNED[-1][0]
    return changes
