"""Decidim survey-answer imports: rows per second, against reading the same file alone.

Writes a Decidim-shaped CSV of N respondents for the PARC example (French headers, `;`,
every answer readable), then times `import_file` into a fresh store, and the same file
again (which must change nothing). The baseline in the same run is a bare insert of as
many contributions and answers in one transaction. Prints JSON; the ratio import/bare
is what to compare across machines.
Usage: python -m bench.imports [--n 5000]   (PostgreSQL from PORTEVOIX_TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench import databases, example_runtime
from gateway.contributions.intake import DoorPolicy
from gateway.results.imports.run import Source, import_file
from gateway.runtime import Runtime
from gateway.store.models import Answer, Contribution

HEADER = (
    "ID de réponse;Répondu le;Hachage IP;Statut de l'utilisateur;"
    "1. Allez-vous au parc des Tilleuls ?;2. Que faut-il faire en premier dans le parc ?;"
    "3. Aimez-vous le parc aujourd'hui ? Donnez une note de 1 à 5.;"
    "4. Combien de fois par mois allez-vous au parc ?;"
    "5. Avez-vous une idée pour le parc ? Écrivez-la.;6. Quel âge avez-vous ?;"
    "7. Dans quel quartier habitez-vous ?"
)
PRIORITIES = ["Planter des arbres", "Des jeux pour enfants", "Plus de bancs",
              "Éclairer le parc le soir"]  # fmt: skip
AGES = ["Moins de 18 ans", "18 à 29 ans", "30 à 59 ans", "60 ans ou plus"]
QUARTIERS = ["Centre-ville", "Les Tilleuls", "Champ-Fleuri", "Quartier de la Gare"]
START = datetime(2026, 12, 2, 8, tzinfo=UTC)


def write_survey(path: Path, n: int) -> None:
    pick = random.Random(11)
    lines = [HEADER]
    for i in range(n):
        at = START + timedelta(seconds=37 * i)
        lines.append(";".join([
            f"{i:016x}", at.strftime("%Y-%m-%d %H:%M:%S UTC"), f"ip{pick.randrange(n)}",
            "Enregistré", pick.choice(["Oui", "Non"]), pick.choice(PRIORITIES),
            str(pick.randint(1, 5)), str(pick.randint(0, 20)), pick.choice(["", "Plus d'ombre"]),
            pick.choice(AGES), pick.choice(QUARTIERS),
        ]))  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _import(runtime: Runtime, path: Path, dry_run: bool) -> tuple[float, int]:
    start = time.perf_counter()
    with runtime.sessions() as session:
        report = import_file(session, Source(path, "decidim"), "PARC", DoorPolicy(), dry_run)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return time.perf_counter() - start, report.imported


def _bare(runtime: Runtime, n: int) -> float:
    """Insert n contributions of 7 answers each, as plain rows, in one transaction."""
    start = time.perf_counter()
    with runtime.engine.begin() as connection:
        connection.execute(insert(Contribution), [
            {"id": 10_000_000 + i, "consultation_id": 1, "channel": "online",
             "external_id": f"bare-{i}", "status": "counted", "receipt_code": f"B{i}",
             "language": "fr", "definition_hash": "x", "submitted_at": START,
             "created_at": START, "updated_at": START}
            for i in range(n)
        ])  # fmt: skip
        connection.execute(insert(Answer), [
            {"contribution_id": 10_000_000 + i, "question_id": f"q{q}", "value": "x",
             "raw_input": "x", "source": "import:decidim", "confidence": 1.0, "status": "valid"}
            for i in range(n) for q in range(7)
        ])  # fmt: skip
    return time.perf_counter() - start


def bench(name: str, url: str, scratch: Path, n: int) -> dict[str, object]:
    path = scratch / "survey_user_answers.csv"
    write_survey(path, n)
    runtime = example_runtime(url, scratch)
    imported_s, imported = _import(runtime, path, dry_run=False)
    again_s, again = _import(runtime, path, dry_run=False)
    bare_s = _bare(runtime, n)
    runtime.engine.dispose()
    return {
        "database": name, "rows": n, "imported": imported, "import_s": round(imported_s, 2),
        "rows_per_s": round(n / imported_s), "same_file_again_s": round(again_s, 2),
        "imported_again": again, "bare_insert_s": round(bare_s, 3),
        "ratio": round(imported_s / bare_s, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args()
    with databases() as found:
        results = [bench(database, url, scratch, args.n) for database, url, scratch in found]
    print(json.dumps({"benchmark": "imports", "results": results}, indent=2))


if __name__ == "__main__":
    main()
