"""Open-vocabulary skill names: normalise a span as written, and drop junk. Pure.

A tagger's spans are written many ways ("Spring-Boot", "spring boot )", "Microservices"); one form
per skill lets the weekly counts and the skill map add them up. Junk (stop words, single letters,
generic nouns such as "platform" or "data", Swedish function words such as "vid", "och",
"meriterande") is what a curator would throw away, so it is never counted or proposed.
"""
from __future__ import annotations

import re

_EDGE = re.compile(r"^[^\w#+.]+|[^\w#+]+$")  # punctuation at the ends ("(aws)", "docker)", "git;")
_SPACE = re.compile(r"\s+")
_SPACED_PUNCT = re.compile(r"\s*([/&])\s*")

# Words that are never a skill on their own, English and Swedish (function words, generic nouns).
STOP_WORDS = frozenset("""
a an and or the of in on at to for with by from as is are be been being this that these those it its our
your their we you they he she i me my us them his her not no nor but if then than so such very more most
other any all each some both few many much own same also just only about into over under between through
during before after above below up down out off again further once here there when where why how what which
who whom will would should could can may might must shall do does did done have has had having etc e.g i.e
via per plus eg ie vs
experience experiences knowledge skill skills ability abilities understanding familiarity proficiency
expertise background degree degrees years year strong solid good great excellent deep hands-on hands
working work team teams role roles job jobs position company business customer customers client clients
product products platform platforms data information system systems solution solutions service services
tool tools technology technologies tech technique techniques method methods process processes framework
frameworks environment environments application applications app apps project projects development
engineering design management support operations infrastructure architecture software hardware code coding
programming language languages stack stacks field area areas domain domains level levels quality
performance security cloud testing analysis analytics research problem problems world people things thing
new modern best practices practice plus bonus nice similar related relevant various including include
like e.g. etc. ...
och att det som en ett är för med till på av den de vi du har inte om eller vid kan ska sig men så från
eller samt även hos efter under inom mot utan genom vår våra din dina ditt vårt dig oss er ni man när då
där här alla andra mycket bra goda god stor stora nya ny meriterande erfarenhet kunskap kunskaper
kompetens arbete arbeta tjänsten rollen företag team krav
machine deep large model models learning language vision face computer processing split natural
ai applied modeller modell svp vp sr jr senior junior lead head chief principal staff intern
""".split())
# A span that is only these (with stop words) names no skill: "infrastructure as", "data platform".
_MIN_LEN = 2


def normalise_skill(text: str) -> str:
    """One form per skill: lower case, single spaces, no punctuation at the ends, a plural's -s dropped.

    ``"  Spring-Boot )"`` -> ``"spring-boot"``; ``"Microservices"`` -> ``"microservice"``;
    ``"C/ C++"`` -> ``"c/c++"``. Short words and words in -ss/-us/-is keep their s (``aws``, ``stats``,
    ``redis``); ``timeseries`` stays.
    """
    form = _SPACE.sub(" ", text.lower()).strip()
    form = _SPACED_PUNCT.sub(r"\1", form)
    previous = None
    while previous != form:
        previous = form
        form = _EDGE.sub("", form).strip()
    words = form.split(" ")
    last = words[-1] if words else ""
    if not last.isalpha():
        pass
    elif len(last) > 5 and last.endswith("ies") and not last.endswith(("series", "species")):
        words[-1] = last[:-3] + "y"
    elif len(last) > 5 and last.endswith("s") and not last.endswith(("ss", "us", "is", "os", "as", "ics", "ies")):
        words[-1] = last[:-1]
    return " ".join(words)


def is_junk(form: str) -> bool:
    """Whether a normalised form names no skill: empty, one letter, digits only, or only stop words."""
    if len(form) < _MIN_LEN or not any(ch.isalpha() for ch in form):
        return True
    words = re.split(r"[\s/&-]+", form)
    return all(w in STOP_WORDS or len(w) < 2 or w.isdigit() for w in words if w) or len(words) > 6


def label_fragments(labels) -> frozenset[str]:
    """Word runs that are only part of a longer taxonomy label ("språkmodeller" of "stora
    språkmodeller", "face" of "hugging face"): a span that is just such a run is a cut-off mention."""
    whole = {" ".join(label.lower().split()) for label in labels}
    parts = set()
    for label in whole:
        words = label.split()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                if j - i < len(words):
                    parts.add(" ".join(words[i:j]))
    return frozenset(parts - whole)
