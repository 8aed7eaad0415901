"""The LLM labeller against a real loopback server speaking the OpenAI chat-completions protocol."""
from __future__ import annotations

import json

import pytest
from batch_openai_stub import OpenAIStub

from batch.labels import FEW_SHOT, Item, LLMLabeller, parse_reply
from batch.llm import MAX_RETRY_AFTER_S, ChatClient
from skillpulse.http import parse_retry_after
from skillpulse.domain.taxonomy import default_taxonomy

ADS = {
    "k1": "Senior ML Engineer. You know PyTorch and MLOps, and you run services on Kube.",
    "k2": "Data Analyst. SQL and Tableau daily; you have run A/B tests.",
    "k3": "Platform engineer: Terraform, Kubernetes and Python.",
}
# What a good model answers for each ad (verbatim mentions, as the prompt asks).
ANSWERS = {
    ADS["k1"]: ["PyTorch", "MLOps", "Kube"],
    ADS["k2"]: ["SQL", "Tableau", "A/B tests"],
    ADS["k3"]: ["Terraform", "Kubernetes", "Python"],
}


def good(text: str) -> str:
    return json.dumps({"skills": ANSWERS[text]})


def items(*keys: str) -> list[Item]:
    return [Item(k, ADS[k]) for k in keys]


class Sleeps(list):
    """Records the waits the client asked for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def labeller(stub: OpenAIStub, sleeps: Sleeps | None = None, model: str = "gpt-4o-mini") -> LLMLabeller:
    client = ChatClient(stub.base_url, model, "sk-test-1234", sleep=sleeps if sleeps is not None else Sleeps(), max_attempts=4)
    return LLMLabeller(client, default_taxonomy(), concurrency=2)


def test_good_replies_become_spans_with_canonical_skills_and_counted_usage():
    with OpenAIStub(good) as stub:
        lab = labeller(stub)
        out = {r.posting_key: r for r in lab.label(items("k1", "k2", "k3"))}
    assert set(out) == {"k1", "k2", "k3"}
    k1 = out["k1"]
    # every span points at the exact characters the model quoted
    assert [ADS["k1"][s.start:s.end] for s in k1.spans] == ["PyTorch", "MLOps", "Kube"]
    skills = {s.text: s.skill for s in k1.spans}
    assert skills["PyTorch"] == "pytorch" and skills["MLOps"] == "mlops"
    assert skills["Kube"] == "kube"  # not a taxonomy label: kept under its own name (a candidate)
    assert {s.skill for s in out["k2"].spans} >= {"sql", "ab testing"}
    # the protocol: bearer key, model, JSON mode, system + few-shot turns + the ad
    req = stub.requests[0]
    assert req["headers"]["Authorization"] == "Bearer sk-test-1234"
    body = req["body"]
    assert body["model"] == "gpt-4o-mini" and body["response_format"] == {"type": "json_object"}
    assert len(body["messages"]) == 2 + 2 * len(FEW_SHOT)
    assert body["messages"][0]["role"] == "system"
    assert [m["role"] for m in body["messages"][1:3]] == ["user", "assistant"]
    usage = lab.stats.usage
    assert usage["requests"] == 3 and usage["retries"] == 0
    assert usage["prompt_tokens"] == 3 * 412 and usage["completion_tokens"] == 3 * 19
    assert usage["cost_usd"] == pytest.approx(3 * (412 * 0.15 + 19 * 0.60) / 1e6)
    assert lab.stats.labelled == 3 and lab.stats.dropped_spans == 0


def test_malformed_reply_is_counted_and_the_posting_left_unlabelled():
    replies = {ADS["k1"]: "Sure! Here are the skills: PyTorch, MLOps", ADS["k2"]: '{"skills": "SQL"}'}
    with OpenAIStub(lambda text: replies.get(text) or good(text)) as stub:
        lab = labeller(stub)
        out = lab.label(items("k1", "k2", "k3"))
    assert [r.posting_key for r in out] == ["k3"]
    assert lab.stats.malformed_replies == 2 and lab.stats.labelled == 1


def test_spans_not_in_the_text_are_dropped_and_counted():
    def answer(text: str) -> str:  # the model paraphrases one skill and invents another
        return json.dumps({"skills": ["PyTorch", "Kubernetes", "TensorFlow", "MLOps"]})

    with OpenAIStub(answer) as stub:
        lab = labeller(stub)
        [out] = lab.label(items("k1"))
    assert [s.text for s in out.spans] == ["PyTorch", "MLOps"]
    assert out.dropped == 2 and lab.stats.dropped_spans == 2


def test_429_waits_retry_after_then_succeeds():
    sleeps = Sleeps()
    with OpenAIStub(good) as stub:
        stub.faults.append((429, {"Retry-After": "2"}, "rate_limited"))
        lab = labeller(stub, sleeps)
        [out] = lab.label(items("k1"))
    assert [s.text for s in out.spans] == ["PyTorch", "MLOps", "Kube"]
    assert sleeps == [2.0]  # the server's hint, not the exponential backoff
    assert lab.stats.usage["requests"] == 2 and lab.stats.usage["retries"] == 1


def test_500_backs_off_then_succeeds():
    sleeps = Sleeps()
    with OpenAIStub(good) as stub:
        stub.faults += [(500, {}, "server_error"), (503, {}, "server_error")]
        lab = labeller(stub, sleeps)
        [out] = lab.label(items("k2"))
    assert [s.text for s in out.spans] == ["SQL", "Tableau", "A/B tests"]
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)
    assert lab.stats.usage["retries"] == 2


def test_a_bad_key_is_not_retried_and_the_posting_counts_as_failed():
    sleeps = Sleeps()
    with OpenAIStub(good) as stub:
        stub.faults.append((401, {}, "invalid_api_key"))
        lab = labeller(stub, sleeps)
        assert lab.label(items("k1")) == []
    assert sleeps == [] and lab.stats.failed == 1 and lab.stats.usage["requests"] == 1


def test_endless_429_gives_up_after_the_last_attempt():
    sleeps = Sleeps()
    with OpenAIStub(good) as stub:
        stub.faults += [(429, {"Retry-After": "1"}, "rate_limited")] * 4
        lab = labeller(stub, sleeps)
        assert lab.label(items("k1")) == []
    assert lab.stats.failed == 1 and sleeps == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("content, skills", [
    ('{"skills": ["SQL"]}', ["SQL"]),
    ('```json\n{"skills": ["SQL", "dbt"]}\n```', ["SQL", "dbt"]),  # fenced replies are common
    ('{"skills": [], "note": "none"}', []),
])
def test_parse_reply_accepts(content, skills):
    assert parse_reply(content).skills == skills


@pytest.mark.parametrize("content", ["", "SQL, dbt", '{"skill": ["SQL"]}', '{"skills": [1, {"a": 2}]}', "[1]"])
def test_parse_reply_rejects(content):
    with pytest.raises(ValueError):
        parse_reply(content)


@pytest.mark.parametrize("header, seconds", [("2", 2.0), ("0.5", 0.5), (None, None), ("soon", None), ("99999", 99999.0)])
def test_retry_after_header(header, seconds):
    assert parse_retry_after(header) == seconds


def test_a_long_retry_after_is_capped():
    sleeps = Sleeps()
    with OpenAIStub(good) as stub:
        stub.faults.append((429, {"Retry-After": "99999"}, "rate_limited"))
        labeller(stub, sleeps).label(items("k1"))
    assert sleeps == [MAX_RETRY_AFTER_S]


def test_llm_error_bodies_are_redacted():
    import httpx

    from batch.llm import LLMError

    def echo(request: httpx.Request) -> httpx.Response:  # an endpoint that echoes the key and a URL
        return httpx.Response(400, text=f"bad key {request.headers['authorization']} at http://u:pw@proxy:8080/")

    client = ChatClient("http://llm.test/v1", "m", "sk-secret-777", transport=httpx.MockTransport(echo), max_attempts=1)
    with pytest.raises(LLMError) as info:
        client.complete([{"role": "user", "content": "hi"}])
    assert "sk-secret-777" not in str(info.value) and "pw@" not in str(info.value)
    assert "Bearer ***" in str(info.value) and "u:***@proxy" in str(info.value)
