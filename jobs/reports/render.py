"""Both reports of one submission: open and prepare its images once, then render each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from jobs.reports.content import ReportContent, build_content, references_of
from jobs.reports.excel import build_workbook, web_link
from jobs.reports.images import prepare_report_images
from jobs.reports.pdf import build_pdf
from submissions.legacy.records import NormalizedSubmission


@dataclass(frozen=True)
class RenderedReports:
    excel: bytes
    pdf: bytes
    content: ReportContent


def report_content(
    record: NormalizedSubmission,
    open_file: Callable[[str], bytes | None],
    *,
    job_id: str,
    generated_at: dt.datetime,
) -> ReportContent:
    """What both reports show; ``open_file`` turns a photo/signature reference into bytes or ``None``."""
    photos, signatures = references_of(record)
    images = prepare_report_images(photos=photos, signatures=signatures, open_file=open_file)
    return build_content(record, images, job_id=job_id, generated_at=generated_at)


def render_reports(
    record: NormalizedSubmission,
    open_file: Callable[[str], bytes | None],
    *,
    job_id: str,
    generated_at: dt.datetime,
    photo_link: Callable[[str], str] = web_link,
) -> RenderedReports:
    """Both reports; ``photo_link`` gives the workbook's photo links (``ReportFiles.download_link``)."""
    content = report_content(record, open_file, job_id=job_id, generated_at=generated_at)
    return RenderedReports(
        excel=build_workbook(content, photo_link=photo_link), pdf=build_pdf(content), content=content
    )
