"""`portevoix mediation`: the queue's counts and the journal's export, as the pages give them."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from gateway import channels
from gateway.cli import app as portevoix
from gateway.runtime import Runtime
from gateway.staff.models import StaffRole
from gateway.store.models import AnswerSource, Channel
from mediation.cli import app
from tests.mediation.test_review import answer_key, decide, make_reviewer, make_unsure


def run(runtime: Runtime, *args: str) -> Result:
    """`portevoix mediation ARGS` on the test store, through its own runtime as the command's."""
    factory = lambda: channels.build_runtime(runtime.settings, dispatch=False)  # noqa: E731
    return CliRunner().invoke(app, list(args), obj=factory)


def test_the_queue_is_counted_per_reason_and_channel(store: Runtime) -> None:
    for _ in range(2):
        make_unsure(store, channel=Channel.PAPER, source=AnswerSource.OMR)
    make_unsure(store, channel=Channel.IVR, source=AnswerSource.SPEECH)
    done = run(store, "queue")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        f"{'low_confidence':<16} {'paper':<8} {2:>6}",
        f"{'speech':<16} {'ivr':<8} {1:>6}",
        f"{'total':<25} {3:>6}",
    ]
    filtered = run(store, "queue", "--channel", "ivr").stdout.splitlines()
    assert filtered[-1].split() == ["total", "1"] and filtered[0].split()[:2] == ["speech", "ivr"]
    assert run(store, "queue", "--reason", "speech", "--consultation", "parc").stdout.split() == [
        "total", "0",
    ]  # fmt: skip
    refused = run(store, "queue", "--reason", "faint")
    assert refused.exit_code != 0 and "unknown reason" in str(refused.exception)


def test_the_journal_is_exported_with_the_pages_filters(store: Runtime, client: TestClient) -> None:
    first, second = make_unsure(store), make_unsure(store)
    make_reviewer(store, client, "carla", StaffRole.AGENT)
    assert decide(client, answer_key(store, first.contribution_id), "accept").status_code == 303
    page = client.get("/mediation/journal.csv?actor=staff:carla").text
    done = run(store, "journal", "--actor", "staff:carla")
    assert done.exit_code == 0 and done.stdout.splitlines() == page.splitlines()
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [row["action"] for row in rows][-2:] == [
        "answer.accepted", "contribution.status_changed",
    ]  # fmt: skip
    assert {row["actor"] for row in rows} == {"staff:carla"}
    of_second = run(store, "journal", "--contribution", str(second.contribution_id)).stdout
    assert {row["subject_id"] for row in csv.DictReader(io.StringIO(of_second))} == {
        str(second.contribution_id)
    }
    since = run(store, "journal", "--since", "2999-01-01T00:00").stdout
    assert since.splitlines() == [",".join(("id", "at", "actor", "action", "subject_type",
                                             "subject_id", "payload", "hash"))]  # fmt: skip


def test_the_journal_is_written_to_a_file(store: Runtime, tmp_path: object) -> None:
    make_unsure(store)
    out = f"{tmp_path}/journal.csv"
    done = run(store, "journal", "--out", out)
    assert done.exit_code == 0
    with open(out, encoding="utf-8") as written:
        assert "contribution.recorded" in written.read()


def test_the_commands_are_under_portevoix_mediation() -> None:
    done = CliRunner().invoke(portevoix, ["mediation", "--help"])
    assert done.exit_code == 0
    assert all(command in done.stdout for command in ("queue", "journal", "mandates"))
