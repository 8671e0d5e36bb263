""""Did you mean": the known name a misspelled one most likely meant, by the TypeScript side's rule
(src/core/closest-key.ts), so both workers suggest the same name."""

from __future__ import annotations

from collections.abc import Iterable


def closest_key(key: str, known: Iterable[str]) -> str | None:
    """The known name ``key`` most likely meant: the same letters up to case, else at most 2 edits
    away (fewer for short names: ``len(key) // 2``); ``None`` when none is that close."""
    candidates = list(known)
    lower = key.lower()
    for candidate in candidates:
        if candidate.lower() == lower:
            return candidate
    best: str | None = None
    best_distance = min(2, len(key) // 2)
    for candidate in candidates:
        candidate_lower = candidate.lower()
        # The distance is at least the difference in length: a hostile long name costs no table.
        if abs(len(candidate_lower) - len(lower)) > best_distance:
            continue
        distance = _edit_distance(lower, candidate_lower)
        if distance <= best_distance and (best is None or distance < best_distance):
            best, best_distance = candidate, distance
    return best


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i]
        for j in range(1, len(b) + 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1])))
        previous = current
    return previous[len(b)]
