"""Postings from files: the seed's ``job-postings/<date>/*.txt`` folders, JSONL, and CSV (JobSpy).

* ``.txt``: one ad per file, dated by the nearest folder whose name is a date (``2024-01-03`` or
  the seed's ``03-01-2024``, day first; ``date_format`` overrides). The first line is the title
  when a blank line follows it; otherwise the title comes from the file name.
* ``.jsonl`` / ``.csv``: one ad per line / row; columns are mapped by name (JobSpy's ``title,
  company, location, date_posted, job_url, site, id, description`` and common synonyms); other
  non-empty columns are kept as extra fields. A row without a usable date falls back to its
  dated folder, else it is skipped with the reason.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from producers.base import Fetched, Skipped, fallback_key, parse_timestamp

DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y")  # ISO, then the seed's folder style (03-01-2024 = 3 Jan)
SUFFIXES = {".txt", ".jsonl", ".ndjson", ".csv"}
MAX_TITLE_LINE = 200  # a longer first line is a paragraph, not a title

# contract field -> accepted column names (normalised: lower case, spaces and dashes as "_")
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "job_title", "headline", "position", "job_name"),
    "description": ("description", "job_description", "description_text", "text", "body"),
    "posted_date": ("posted_date", "date_posted", "publication_date", "posted_at", "date", "published"),
    "company": ("company", "company_name", "employer", "organization", "organisation"),
    "location": ("location", "job_location", "city", "place"),
    "url": ("url", "job_url", "webpage_url", "link", "job_link"),
    "source_id": ("source_id", "id", "job_id"),
    "source": ("source", "site"),
    "language": ("language", "lang"),
}
UNSTABLE_ID_SITES = {"bayt"}  # JobSpy builds these ids with Python's salted hash(): never a ledger key

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # descriptions can be long


def _norm_column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def folder_date(path: Path, root: Path, date_format: str | None) -> dt.date | None:
    """The date of the nearest folder (up to ``root``) whose name parses as a date."""
    formats = (date_format,) if date_format else DATE_FORMATS
    for parent in path.parents:
        for fmt in formats:
            try:
                return dt.datetime.strptime(parent.name, fmt).date()
            except ValueError:
                continue
        if parent == root:
            break
    return None


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def title_from_name(path: Path) -> str:
    """``senior_ml-engineer.txt`` -> ``senior ml engineer``."""
    return " ".join(re.split(r"[_\-\s]+", path.stem)).strip()


def parse_txt(text: str, path: Path) -> tuple[str, str]:
    """(title, description) of a seed-format ad file."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if len(lines) >= 3 and lines[0].strip() and len(lines[0].strip()) <= MAX_TITLE_LINE and not lines[1].strip():
        return lines[0].strip(), "\n".join(lines[2:]).strip()
    title = title_from_name(path)
    if not re.search(r"[^\W\d_]", title):  # a bare id such as 3791838.txt: fall back to the first line
        first = lines[0].strip() if lines else ""
        title = first[:120]
    return title, "\n".join(lines).strip()


def map_row(row: dict[str, Any], ref: str, fallback_date: dt.date | None, date_format: str | None,
            default_source: str = "files") -> Fetched | Skipped:
    """One JSONL object or CSV row, columns matched by name, as a raw posting."""
    normalised: dict[str, Any] = {}
    for name, value in row.items():
        if name is None:  # csv: more cells than header columns
            continue
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None) or (isinstance(value, float) and value != value):  # empty or NaN
            continue
        normalised.setdefault(_norm_column(str(name)), value)
    posting: dict[str, Any] = {}
    used: set[str] = set()
    for field, names in COLUMNS.items():
        for name in names:
            if name in normalised:
                posting[field] = normalised[name]
                used.add(name)
                break
    for name, value in normalised.items():  # unknown fields are kept, not dropped
        if name not in used and name not in posting:
            posting[name] = value
    if not str(posting.get("title") or "").strip():
        return Skipped(ref, "no title")
    raw_date = posting.get("posted_date")
    published: dt.datetime | None = None
    if raw_date not in (None, ""):
        published = parse_timestamp(raw_date)
        if published is None and date_format and isinstance(raw_date, str):
            try:
                published = dt.datetime.strptime(raw_date, date_format)
            except ValueError:
                published = None
        if published is None:
            return Skipped(ref, f"bad posted_date: {raw_date!r}")
    elif fallback_date is not None:
        published = dt.datetime.combine(fallback_date, dt.time())
    else:
        return Skipped(ref, "no posted_date")
    posting["posted_date"] = published.date().isoformat()
    posting.setdefault("description", "")
    posting["source"] = str(posting.get("source") or default_source).strip().lower()
    for field in ("title", "description", "company", "location", "url", "source_id", "language"):
        if field in posting and not isinstance(posting[field], str):
            posting[field] = str(posting[field])
    source, source_id = posting["source"], posting.get("source_id")
    if source_id and source not in UNSTABLE_ID_SITES:
        key = f"{source}:{source_id}"
    else:
        key = fallback_key(source, posting)
    return Fetched(key, posting, published)


class FilesSource:
    """Every ``.txt``, ``.jsonl`` and ``.csv`` under ``path`` (or ``path`` itself), in name order."""

    name = "files"

    def __init__(self, path: Path, *, date_format: str | None = None, source: str = "files"):
        self.path = Path(path)
        self.source = source  # the posting's ``source`` for .txt files and rows without a site column
        self.date_format = date_format
        self.complete = False
        self.stop_reason = ""

    def files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)

    def fetch(self, since: dt.datetime | None) -> Iterator[Fetched | Skipped]:
        root = self.path if self.path.is_dir() else self.path.parent
        for file in self.files():
            rel = file.relative_to(root).as_posix() if file != self.path else file.name
            day = folder_date(file, root, self.date_format)
            suffix = file.suffix.lower()
            try:
                if suffix == ".txt":
                    yield self._txt(file, rel, day)
                elif suffix in (".jsonl", ".ndjson"):
                    yield from self._jsonl(file, rel, day)
                elif suffix == ".csv":
                    yield from self._csv(file, rel, day)
            except OSError as exc:
                yield Skipped(rel, f"unreadable file: {exc.strerror or exc}")
        self.complete = True

    def _txt(self, file: Path, rel: str, day: dt.date | None) -> Fetched | Skipped:
        if day is None:
            return Skipped(rel, "no dated folder (name a parent folder YYYY-MM-DD or DD-MM-YYYY, or pass --date-format)")
        text = _read_text(file)
        if not text.strip():
            return Skipped(rel, "empty file")
        title, description = parse_txt(text, file)
        # the id is the path below the dated folder, so the same tree under another root is the same ad
        dated = next(p for p in file.parents if p.name and folder_date(p / "x", p, self.date_format) == day)
        source_id = f"{dated.name}/{file.relative_to(dated).as_posix()}"
        posting = {"title": title, "description": description, "posted_date": day.isoformat(),
                   "source": self.source, "source_id": source_id}
        return Fetched(f"files:{source_id}", posting, dt.datetime.combine(day, dt.time()))

    def _jsonl(self, file: Path, rel: str, day: dt.date | None) -> Iterator[Fetched | Skipped]:
        with open(file, encoding="utf-8-sig", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                ref = f"{rel}:{number}"
                try:
                    row = json.loads(line)
                except ValueError:
                    yield Skipped(ref, "malformed JSON line")
                    continue
                if not isinstance(row, dict):
                    yield Skipped(ref, "not a JSON object")
                    continue
                yield map_row(row, ref, day, self.date_format, self.source)

    def _csv(self, file: Path, rel: str, day: dt.date | None) -> Iterator[Fetched | Skipped]:
        with open(file, encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames:
                yield Skipped(rel, "empty CSV (no header)")
                return
            header = {_norm_column(c) for c in reader.fieldnames if c}
            if not header & set(COLUMNS["title"]):
                yield Skipped(rel, f"CSV without a title column (columns: {', '.join(sorted(header))[:200]})")
                return
            try:
                for row in reader:
                    yield map_row(row, f"{rel}:{reader.line_num}", day, self.date_format, self.source)
            except csv.Error as exc:
                yield Skipped(f"{rel}:{reader.line_num}", f"broken CSV: {exc}")
