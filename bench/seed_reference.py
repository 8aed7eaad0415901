"""BASELINE ONLY: seed 004's naive enrichment, copied faithfully so bench/enrich.py can compare against it.

Not used by SkillPulse. It is kept exactly as the seed writes it, bugs included: substring matching
("r" is found in "for", "aws" in "laws"), a loop over every skill for every posting, seniority by
the first level in dict order whose indicator is a substring ("Lead ML Engineer" is "senior").
The only additions: the skill table can be swapped (``with_skills``) to time the same loop over a
larger taxonomy, and ``main`` runs the loop as a whole process (``python bench/seed_reference.py
< postings.jsonl``), JSON lines in and out.
"""
from __future__ import annotations

from enum import Enum
from typing import Dict, List, Set


class SkillCategory(str, Enum):
    ML_ENGINEERING = "ml_engineering"
    DATA_SCIENCE = "data_science"
    AI_INFRASTRUCTURE = "ai_infrastructure"
    AI_PRODUCT = "ai_product"
    AI_STRATEGY = "ai_strategy"


class SeniorityLevel(str, Enum):
    ENTRY = "entry"
    MID = "mid"
    SENIOR = "senior"
    LEAD = "lead"
    DIRECTOR = "director"
    VP = "vp"
    EXECUTIVE = "executive"


AI_SKILLS: Dict[str, List[str]] = {
    "ml_engineering": [
        "pytorch", "tensorflow", "scikit-learn", "keras", "mlops", "model deployment", "gpu", "cuda",
        "deep learning", "reinforcement learning", "computer vision", "nlp", "natural language processing",
        "transformers", "generative ai", "llm", "large language models", "huggingface", "kubeflow", "sagemaker",
    ],
    "data_science": [
        "python", "r", "sql", "pandas", "numpy", "statistics", "experiment design", "ab testing",
        "predictive modeling", "data analysis", "feature engineering", "machine learning algorithms",
        "regression", "classification", "clustering", "time series analysis", "hypothesis testing",
    ],
    "ai_infrastructure": [
        "aws", "azure", "gcp", "kubernetes", "docker", "airflow", "spark", "hadoop", "kafka", "data bricks",
        "snowflake", "etl", "data pipelines", "big data", "cloud computing",
    ],
    "ai_product": [
        "product management", "ai product", "ux/ui", "market research", "customer journey", "go-to-market",
        "roadmap", "agile", "scrum", "user stories",
    ],
    "ai_strategy": [
        "ai strategy", "business intelligence", "roi", "stakeholder management", "digital transformation",
        "ethics", "governance", "compliance", "risk management",
    ],
}

SENIORITY_INDICATORS: Dict[str, List[str]] = {
    "entry": ["junior", "entry level", "associate", "intern"],
    "mid": ["mid level", "staff", "specialist"],
    "senior": ["senior", "sr.", "lead", "principal", "expert"],
    "lead": ["lead", "team lead", "manager"],
    "director": ["director"],
    "vp": ["vp", "vice president"],
    "executive": ["chief", "cto", "cio", "ceo", "cfo"],
}


def extract_ai_skills(text: str) -> Set[str]:
    extracted = set()
    text_lower = text.lower()
    for category_skills in AI_SKILLS.values():
        for skill in category_skills:
            if skill.lower() in text_lower:
                extracted.add(skill)
    return extracted


def classify_seniority(title: str) -> SeniorityLevel:
    title_lower = title.lower()
    for level, indicators in SENIORITY_INDICATORS.items():
        if any(ind in title_lower for ind in indicators):
            return SeniorityLevel(level)
    return SeniorityLevel.MID  # Default if no indicator found


def calculate_ai_relevance_score(skills: Set[str], title: str) -> float:
    score = 0.0
    # Skill component (60% weight, max 5 skills for 1.0 contribution)
    skill_component = min(len(skills) / 5.0, 1.0) * 0.6
    score += skill_component

    # Title component (40% weight if AI keywords are present)
    ai_title_keywords = ['ai', 'ml', 'machine learning', 'data scientist', 'mlops', 'artificial intelligence']
    title_lower = title.lower()
    if any(keyword in title_lower for keyword in ai_title_keywords):
        score += 0.4

    return min(score, 1.0)  # Ensure score does not exceed 1.0


def process_job_postings(raw_job_postings: List[dict]) -> List[dict]:
    """The seed's ``process_job_postings`` (assumed in its source.py): the three functions per posting."""
    processed = []
    for job in raw_job_postings:
        skills = extract_ai_skills(job["description"])
        processed.append({
            **job,
            "extracted_skills": list(skills),
            "seniority_level": classify_seniority(job["title"]).value,
            "ai_relevance_score": calculate_ai_relevance_score(skills, job["title"]),
        })
    return processed


def with_skills(skills: Dict[str, List[str]]) -> None:
    """Swap the module's skill table (the benchmark times the same loop over bigger taxonomies)."""
    global AI_SKILLS
    AI_SKILLS = skills


def main() -> None:
    """The seed's loop as a whole process, as shipped: JSONL on stdin, one JSON line per posting out.

    ``bench/enrich.py`` times it against ``skillpulse enrich`` on the same file.
    """
    import json
    import sys

    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    write = sys.stdout.write
    for row in process_job_postings(rows):
        write(json.dumps(row, default=str) + "\n")


if __name__ == "__main__":
    main()
