"""The printable results report for the conseil municipal: the results page, on paper.

Same figures, charts and words as `/results/{code}` (the charts are the page's
geometry drawn as PDF vectors), in the tally's language: the counted answers per
option and channel, imported totals apart, the ranking and the envelope, who took
part against the population, and the method.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gateway.i18n import N_, t
from gateway.results.charts import Chart
from gateway.results.page import channel_name, page_context
from gateway.results.tally import QuestionTally, Tally

WIDTH = A4[0] - 4 * cm
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def pdf_report(result: Tally) -> bytes:
    """The report as PDF bytes."""
    out = io.BytesIO()
    language = result.language
    document = SimpleDocTemplate(
        out, pagesize=A4, title=f"{t(language, N_('Results'))} — {result.title}", lang=language
    )
    document.build(_story(result, page_context(result)))
    return out.getvalue()


def _story(result: Tally, context: dict[str, Any]) -> list[Flowable]:
    styles = getSampleStyleSheet()
    say = _Writer(result.language, styles)
    story = [say.heading(f"{t(result.language, N_('Results'))} : {result.title}", 1)]
    story.append(
        say.text(
            N_("Counted contributions: %(n)s. Awaiting review by a médiateur: %(review)s."),
            n=sum(result.by_channel.values()),
            review=result.contributions.get("review", 0),
        )
    )
    story.append(say.heading(t(result.language, N_("Answers per question")), 2))
    for question in result.questions:
        if not question.profile:
            story += _question(say, question, context)
    story += _inclusion(say, result, context)
    story += _method(say, result, context)
    return story


class _Writer:
    def __init__(self, language: str, styles: Any) -> None:
        self.language, self.styles = language, styles
        self.small = ParagraphStyle("small", parent=styles["BodyText"], fontSize=8, leading=10)

    def heading(self, text: str, level: int) -> Paragraph:
        return Paragraph(escape(text), self.styles[f"Heading{level}"])

    def text(self, message: str, **values: Any) -> Paragraph:
        return Paragraph(escape(t(self.language, message, **values)), self.styles["BodyText"])

    def table(self, header: list[str], rows: list[list[Any]]) -> Table:
        cells = [[Paragraph(escape(str(c)), self.small) for c in row] for row in [header, *rows]]
        table = Table(cells, repeatRows=1, hAlign="LEFT")
        table.setStyle(GRID)
        return table

    def _(self, message: str) -> str:
        return t(self.language, message)


def _question(say: _Writer, question: QuestionTally, context: dict[str, Any]) -> list[Flowable]:
    story: list[Flowable] = [say.heading(question.text, 3)]
    story.append(say.text(N_("Counted answers: %(n)s."), n=question.answered))
    chart = context["question_charts"].get(question.question_id)
    if chart is not None:
        story += [drawing(chart), _options_table(say, question, context)]
    if question.mean is not None:
        story.append(say.text(N_("Average: %(mean)s."), mean=question.mean))
    if question.ranking:
        story.append(say.heading(say._(N_("Ranking")), 4))
        story.append(
            say.table(
                ["#", say._(N_("Option")), say._(N_("Votes"))],
                [[r.rank, r.label, r.count] for r in question.ranking],
            )
        )
    if question.envelope is not None:
        story += _envelope(say, question)
    return [*story, Spacer(1, 0.4 * cm)]


def _options_table(say: _Writer, question: QuestionTally, context: dict[str, Any]) -> Table:
    channels, names = context["channels"], context["channel_names"]
    imported = context["imported_names"]
    header = [say._(N_("Option")), *(names[ch] for ch in channels)]
    header += [imported.get(s, s) for s in question.imported]
    header += [say._(N_("Total")), say._(N_("Awaiting review"))]
    labels = {r.key: r.label for r in question.ranking}
    rows = [
        [labels.get(key, key)]
        + [question.by_channel.get(ch, {}).get(key, 0) for ch in channels]
        + [totals.get(key, 0) for totals in question.imported.values()]
        + [count, question.awaiting_counts.get(key, 0)]
        for key, count in question.counts.items()
    ]
    return say.table(header, rows)


def _envelope(say: _Writer, question: QuestionTally) -> list[Flowable]:
    envelope = question.envelope
    assert envelope is not None
    yes, no = say._(N_("yes")), say._(N_("no"))
    return [
        say.heading(say._(N_("What fits in the envelope")), 4),
        say.text(
            N_(
                "Envelope: %(budget)s €. Projects are taken by votes, most first; a project is "
                "funded if its amount still fits. Funded: %(spent)s €, left: %(left)s €."
            ),
            budget=envelope.budget,
            spent=envelope.spent,
            left=envelope.left,
        ),
        say.table(
            [
                say._(N_("Project")),
                say._(N_("Votes")),
                say._(N_("Amount (€)")),
                say._(N_("Funded")),
            ],
            [[p.label, p.votes, p.amount, yes if p.funded else no] for p in envelope.projects],
        ),
    ]


def _inclusion(say: _Writer, result: Tally, context: dict[str, Any]) -> list[Flowable]:
    inclusion = result.inclusion
    story: list[Flowable] = [say.heading(say._(N_("Who took part")), 2)]
    story.append(drawing(context["channel_chart"]))
    story.append(
        say.table(
            [say._(N_("Channel")), say._(N_("Contributions")), say._(N_("Share"))],
            [
                [channel_name(result.language, ch), result.by_channel[ch], _percent(share)]
                for ch, share in inclusion.channel_shares.items()
            ],
        )
    )
    for question_id, chart in context["group_charts"].items():
        story += [Spacer(1, 0.3 * cm), drawing(chart)]
        story.append(
            say.table(
                [
                    say._(N_("Group")),
                    say._(N_("Total")),
                    say._(N_("Share among participants")),
                    say._(N_("Share in the population")),
                    say._(N_("Representativeness index")),
                ],
                [
                    [
                        g.label,
                        g.participants,
                        _percent(g.share),
                        _percent(g.population_share),
                        "—" if g.index is None else f"{g.index:.2f}",
                    ]
                    for g in inclusion.groups
                    if g.question_id == question_id
                ],
            )
        )
    story.append(say.heading(say._(N_("Who would be missing with online alone")), 3))
    missing = ", ".join(g.label for g in inclusion.missing_online_alone)
    story.append(
        Paragraph(
            escape(missing or say._(N_("No group took part mostly outside the online channel."))),
            say.styles["BodyText"],
        )
    )
    story += [say.heading(say._(N_("Participation per day")), 3), drawing(context["day_chart"])]
    return story


def _method(say: _Writer, result: Tally, context: dict[str, Any]) -> list[Flowable]:
    method = result.method
    names = context["channel_names"]
    return [
        say.heading(say._(N_("Method")), 2),
        say.text(
            N_(
                "Only counted contributions are in the figures above. Answers a machine read "
                "with a confidence below %(threshold)s go to a médiateur and are counted apart "
                "until decided."
            ),
            threshold=method.review_threshold,
        ),
        Paragraph(escape(" ".join(method.identity_text)), say.styles["BodyText"]),
        Paragraph(escape(method.import_rule), say.styles["BodyText"]),
        say.table(
            [
                say._(N_("Channel")),
                say._(N_("How")),
                say._(N_("Answers")),
                say._(N_("Sent to review")),
                say._(N_("Rejected")),
            ],
            [
                [names.get(r.channel, r.channel), r.how, r.answers, r.sent_to_review, r.rejected]
                for r in method.channels
            ],
        ),
        Spacer(1, 0.2 * cm),
        say.table(
            [
                say._(N_("Channel")),
                say._(N_("Reviewed")),
                say._(N_("Corrected")),
                say._(N_("Rejected")),
            ],
            [
                [names.get(r.channel, r.channel), r.reviewed, r.corrected, r.rejected_in_review]
                for r in method.channels
            ],
        ),
        say.text(
            N_(
                "Contributions awaiting review: %(waiting)s. Decided by a médiateur after review: "
                "%(decided)s. Not counted (duplicates, replaced or rejected): %(other)s."
            ),
            waiting=method.awaiting_review,
            decided=sum(method.reviewed.values()),
            other=sum(method.not_counted.values()),
        ),
    ]


def drawing(chart: Chart) -> Drawing:
    """The page's bar chart drawn as PDF vectors, scaled to the text width."""
    scale = WIDTH / chart.width
    height = chart.height + 20
    shapes = Drawing(WIDTH, height * scale)
    shapes.scale(scale, scale)
    top = height - 4
    shapes.add(String(0, top - 8, chart.title, fontName="Helvetica-Bold", fontSize=10))
    for row in chart.rows:
        shapes.add(String(0, top - 20 - row.y, row.label, fontName="Helvetica", fontSize=9))
        for bar in row.bars:
            y = top - 20 - bar.y - 18
            for segment in bar.segments:
                colour = colors.HexColor(segment.colour)
                shapes.add(Rect(segment.x, y, segment.width, 18, fillColor=colour, strokeWidth=0))
            right = sum(s.width for s in bar.segments) + 4
            shapes.add(String(right, y + 5, bar.text, fontName="Helvetica", fontSize=9))
    return shapes


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f} %"
