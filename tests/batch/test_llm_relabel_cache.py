"""LLM relabelling stores labels in ClickHouse and never pays twice for the same ad and prompt."""
from __future__ import annotations

import json

import pytest
from batch_fixtures import DB
from batch_openai_stub import OpenAIStub

from batch.labels import LLMLabeller
from batch.llm import ChatClient
from batch.weekly import make_labeller, relabel
from skillpulse import storage
from skillpulse.domain.taxonomy import default_taxonomy
from skillpulse.settings import Settings

POSTINGS = [
    ("k1", "ML Engineer", "You know PyTorch and MLOps."),
    ("k2", "Analyst", "<p>SQL &amp; Tableau</p>"),
]


def answer(text: str) -> str:
    words = [w for w in ("PyTorch", "MLOps", "SQL", "Tableau") if w in text]
    return json.dumps({"skills": words})


@pytest.fixture
def client(tmp_path):
    c = storage.connect(Settings(data_dir=tmp_path))
    storage.migrate(c, DB)
    yield c
    c.close()


def labeller(stub) -> LLMLabeller:
    return LLMLabeller(ChatClient(stub.base_url, "gpt-4o-mini", "sk-test", sleep=lambda s: None), default_taxonomy())


def test_labels_are_stored_and_reused_until_the_ad_changes(client):
    with OpenAIStub(answer) as stub:
        first = labeller(stub)
        examples = relabel(client, DB, POSTINGS, first, "run-a")
        assert len(stub.requests) == 2
        # HTML is read as text: the ad the LLM saw, and the spans, are of the readable text
        sent = {r["body"]["messages"][-1]["content"].strip() for r in stub.requests}
        assert sent == {"SQL & Tableau", "You know PyTorch and MLOps."}
        rows = client.query(f"SELECT posting_key, label_source, prompt_version, spans FROM {DB}.skill_labels FINAL "
                            "ORDER BY posting_key").result_rows
        assert [(r[0], r[1], r[2]) for r in rows] == [("k1", "llm", "fewshot-v1:gpt-4o-mini"),
                                                       ("k2", "llm", "fewshot-v1:gpt-4o-mini")]
        assert [s["text"] for s in rows[1][3]] == ["SQL", "Tableau"]

        again = labeller(stub)
        examples2 = relabel(client, DB, POSTINGS, again, "run-b")
        assert len(stub.requests) == 2, "cached: no new request"
        assert again.stats.cache_hits == 2 and again.stats.labelled == 0
        assert [(e.posting_key, [tuple(s) for s in e.spans]) for e in examples2] == \
            [(e.posting_key, [tuple(s) for s in e.spans]) for e in examples]

        changed = [POSTINGS[0], ("k2", "Analyst", "SQL, Tableau and MLOps")]
        third = labeller(stub)
        examples3 = relabel(client, DB, changed, third, "run-c")
        assert len(stub.requests) == 3 and third.stats.cache_hits == 1
        assert [s.text for s in examples3[1].spans] == ["SQL", "Tableau", "MLOps"]


def test_llm_without_settings_falls_back_to_taxonomy_and_says_so():
    chosen, note = make_labeller("llm", Settings(llm_base_url=None), default_taxonomy())
    assert chosen.source == "taxonomy" and "LLM_BASE_URL" in note
    chosen, note = make_labeller(None, Settings(llm_base_url=None), default_taxonomy())
    assert chosen.source == "taxonomy" and note == ""
    chosen, _ = make_labeller(None, Settings(llm_base_url="http://127.0.0.1:9/v1"), default_taxonomy())
    assert chosen.source == "llm"
