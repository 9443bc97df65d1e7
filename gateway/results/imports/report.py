"""What an import run did, printed after every run, dry or not."""

from __future__ import annotations

from dataclasses import dataclass, field

# Rejected rows listed one by one in the report; the rest are counted.
SHOWN_REJECTIONS = 50


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


@dataclass(frozen=True)
class TotalChange:
    question_id: str
    option_key: str
    before: int | None
    after: int


@dataclass
class ImportReport:
    file: str
    kind: str
    consultation: str
    dry_run: bool
    read: int = 0
    imported: int = 0
    already_imported: int = 0
    flagged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # New counted answers per question and option, from this run.
    added: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: list[TotalChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected.append(Rejection(line, reason))

    def add(self, question_id: str, keys: list[str]) -> None:
        counts = self.added.setdefault(question_id, {})
        for key in keys:
            counts[key] = counts.get(key, 0) + 1

    def text(self) -> str:
        head = "dry run, nothing stored" if self.dry_run else "stored"
        lines = [f"import {self.kind} from {self.file} into {self.consultation} ({head})"]
        lines.append(
            f"  rows read: {self.read}, imported: {self.imported}, already imported: "
            f"{self.already_imported}, flagged for review: {self.flagged}, "
            f"rejected: {len(self.rejected)}"
        )
        if self.ignored_columns:
            lines.append(f"  columns not read: {', '.join(self.ignored_columns)}")
        shown = sorted(self.rejected, key=lambda r: r.line)[:SHOWN_REJECTIONS]
        lines += [f"  line {r.line}: {r.reason}" for r in shown]
        if len(self.rejected) > SHOWN_REJECTIONS:
            lines.append(f"  … and {len(self.rejected) - SHOWN_REJECTIONS} more rejected rows")
        lines += self._tallies()
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _tallies(self) -> list[str]:
        lines = []
        for question_id, counts in sorted(self.added.items()):
            pairs = ", ".join(f"{k} +{n}" for k, n in sorted(counts.items()))
            lines.append(f"  counted answers added to {question_id}: {pairs}")
        for change in self.totals:
            before = "new" if change.before is None else str(change.before)
            same = " (unchanged)" if change.before == change.after else ""
            name = f"{change.question_id}={change.option_key}"
            lines.append(f"  total {name}: {before} -> {change.after}{same}")
        return lines
