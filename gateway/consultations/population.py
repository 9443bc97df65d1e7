"""The commune's population per profile group, read from an INSEE-style CSV.

One row per combination of groups, e.g. `quartier;tranche-age;population` with
`centre;18-29;812`: every column but `population` names a profile question, its cells
that question's option keys. `;` is the separator French statistics files use; a `,`
file is read too. The figures are copied into the definition when it is loaded, so a
version of the results always says which reference it was set against.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from gateway.errors import PortevoixError

COUNT_COLUMN = "population"
MAX_ROWS = 10_000
MAX_BYTES = 1_000_000


class PopulationError(PortevoixError):
    pass


def read_population(path: Path) -> list[dict[str, Any]]:
    """Cells `{"groups": {question: option}, "count": n}`; the error names the line."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PopulationError(f"{path}: over {MAX_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PopulationError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise PopulationError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise PopulationError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_population(text, str(path))


def parse_population(text: str, source: str) -> list[dict[str, Any]]:
    separator = ";" if ";" in text.partition("\n")[0] else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=separator)
    columns = reader.fieldnames or []
    if COUNT_COLUMN not in columns or len(columns) < 2:
        raise PopulationError(
            f"{source}: line 1: expected group columns and a {COUNT_COLUMN!r} column"
        )
    cells = [_cell(row, source, reader.line_num) for row in reader]
    if len(cells) > MAX_ROWS:
        raise PopulationError(f"{source}: over {MAX_ROWS} rows")
    return cells


def _cell(row: dict[str | Any, str | Any], source: str, line: int) -> dict[str, Any]:
    if None in row or any(value is None for value in row.values()):
        raise PopulationError(f"{source}: line {line}: not as many cells as columns")
    count = row.pop(COUNT_COLUMN).strip().replace("\u202f", "").replace(" ", "")
    if not count.isdigit():
        raise PopulationError(f"{source}: line {line}: population {count!r} is not a whole number")
    groups = {column.strip(): value.strip() for column, value in row.items()}
    return {"groups": groups, "count": int(count)}
