"""Span labellers for the weekly relabel: ``taxonomy`` (weak labels, offline) and ``llm`` (few-shot).

Both label ``readable(description)`` (HTML read as text, case kept) and return character spans; the
skill of a span is its canonical taxonomy name when the taxonomy knows the surface form, else the
lower-cased form (a candidate skill).
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, ValidationError

from skillpulse.extraction.bio import Span
from skillpulse.extraction.resolve import skill_name
from skillpulse.domain.taxonomy import Taxonomy
from skillpulse.domain.text import is_word_char

PROMPT_VERSION = "fewshot-v1"
MAX_LLM_CHARS = 6000  # longer ads are cut: cost stays bounded, spans past the cut are not labelled


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Item:
    """One posting to label: its key and the readable text the spans will index."""

    posting_key: str
    text: str

    @property
    def sha(self) -> str:
        return text_sha(self.text)


@dataclass
class Labelled:
    posting_key: str
    text_sha: str
    spans: list[Span]
    dropped: int = 0


@dataclass
class LabelStats:
    """What a labeller did in one run (shown in the summary)."""

    labelled: int = 0
    spans: int = 0
    dropped_spans: int = 0
    malformed_replies: int = 0
    failed: int = 0
    cache_hits: int = 0
    usage: dict = field(default_factory=dict)


class TaxonomyLabeller:
    """Weak labels: every taxonomy label found in the text (the enrichment's own matcher)."""

    source = "taxonomy"

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self.version = f"taxonomy-{taxonomy.version}-{len(taxonomy.skills)}"
        self.stats = LabelStats()

    def label(self, items: Sequence[Item], progress: Callable[[int], None] | None = None) -> list[Labelled]:
        out = []
        for item in items:
            spans = [Span(s, e, item.text[s:e], v) for s, e, v in self.taxonomy.matcher.find_spans(item.text)]
            out.append(Labelled(item.posting_key, item.sha, spans))
            self.stats.labelled += 1
            self.stats.spans += len(spans)
            if progress:
                progress(1)
        return out


SYSTEM_PROMPT = (
    "You label skills in job advertisements for a skills-demand tracker. A skill is a technology, "
    "tool, programming language, method or professional competence a candidate is asked to have "
    "(e.g. PyTorch, SQL, A/B testing, stakeholder management). Not skills: job titles, company or "
    "product names of the employer, benefits, soft phrases like 'team player', degrees, years.\n"
    "Copy every skill mention EXACTLY as it is written in the text (same characters and case), "
    "one entry per distinct mention. Answer with JSON only: {\"skills\": [\"...\", ...]}."
)
FEW_SHOT: tuple[tuple[str, list[str]], ...] = (
    ("Senior ML Engineer. We are looking for a deep learning engineer with experience in PyTorch, "
     "Transformers, and MLOps. Strong Python skills and familiar with AWS infrastructure.",
     ["deep learning", "PyTorch", "Transformers", "MLOps", "Python", "AWS"]),
    ("Data Analyst to our Stockholm office. You know SQL and Tableau, have run A/B tests and can "
     "explain results to stakeholders. Great coffee and a yearly wellness allowance.",
     ["SQL", "Tableau", "A/B tests"]),
    ("Vi söker en dataingenjör med erfarenhet av Apache Spark, Airflow och k8s. Meriterande: "
     "Terraform och maskininlärning. Du är en lagspelare.",
     ["Apache Spark", "Airflow", "k8s", "Terraform", "maskininlärning"]),
)


def build_messages(text: str) -> list[dict]:
    """System prompt, the worked examples as user/assistant turns, then the ad."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for example, skills in FEW_SHOT:
        messages.append({"role": "user", "content": example})
        messages.append({"role": "assistant", "content": json.dumps({"skills": skills}, ensure_ascii=False)})
    messages.append({"role": "user", "content": text})
    return messages


class LabelReply(BaseModel):
    """The JSON the model must answer with."""

    model_config = ConfigDict(extra="ignore")
    skills: list[str]


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_reply(content: str) -> LabelReply:
    """Validate a reply (code fences tolerated); raises ``ValueError`` when it is not the schema."""
    try:
        return LabelReply.model_validate_json(_FENCE.sub("", content.strip()))
    except ValidationError as exc:
        raise ValueError(f"reply is not {{\"skills\": [str]}}: {exc.errors()[0]['msg']}") from None


def locate(text: str, mentions: Sequence[str], taxonomy: Taxonomy) -> tuple[list[Span], int]:
    """Every whole-word occurrence of each mention in ``text``; mentions absent from it are dropped.

    Returns (spans by position, longest first where they overlap; number of mentions dropped).
    """
    hits: list[Span] = []
    dropped = 0
    for mention in dict.fromkeys(m.strip() for m in mentions):
        if not mention:
            continue
        found = False
        for m in re.finditer(re.escape(mention), text):
            s, e = m.start(), m.end()
            if (s > 0 and is_word_char(text[s - 1]) and is_word_char(text[s])) or \
               (e < len(text) and is_word_char(text[e]) and is_word_char(text[e - 1])):
                continue
            hits.append(Span(s, e, mention, skill_name(taxonomy, mention)))
            found = True
        if not found:
            dropped += 1
    hits.sort(key=lambda h: (h.start - h.end, h.start))
    kept: list[Span] = []
    for h in hits:
        if all(h.end <= k.start or h.start >= k.end for k in kept):
            kept.append(h)
    return sorted(kept), dropped


class LLMLabeller:
    """Few-shot labels from a chat-completions model; replies validated, bad spans dropped."""

    source = "llm"

    def __init__(self, client, taxonomy: Taxonomy, concurrency: int = 4):
        self.client = client
        self.taxonomy = taxonomy
        self.version = f"{PROMPT_VERSION}:{client.model}"
        self.concurrency = concurrency
        self.stats = LabelStats()
        self._lock = threading.Lock()

    def _one(self, item: Item) -> Labelled | None:
        from batch.llm import LLMError

        text = item.text[:MAX_LLM_CHARS]
        try:
            content = self.client.complete(build_messages(text))
        except LLMError:
            with self._lock:
                self.stats.failed += 1
            return None
        try:
            reply = parse_reply(content)
        except ValueError:
            with self._lock:
                self.stats.malformed_replies += 1
            return None
        spans, dropped = locate(text, reply.skills, self.taxonomy)
        with self._lock:
            self.stats.labelled += 1
            self.stats.spans += len(spans)
            self.stats.dropped_spans += dropped
        return Labelled(item.posting_key, item.sha, spans, dropped)

    def label(self, items: Sequence[Item], progress: Callable[[int], None] | None = None) -> list[Labelled]:
        """Labels for the items the model answered well; the rest are counted in ``stats``."""
        def run(item: Item) -> Labelled | None:
            result = self._one(item)
            if progress:
                progress(1)
            return result

        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            results = list(pool.map(run, items))
        self.stats.usage = self.client.usage.as_dict()
        return [r for r in results if r is not None]
