"""Synthetic job postings for Stockholm-area AI and data roles (seed 004's generator, made realistic).

Pure and deterministic: the same ``seed`` and ``end_date`` give the same postings, byte for byte
(Faker is seeded once to build name pools; everything else draws from one ``random.Random``).
What the postings are built to exercise downstream:

* **weeks**: ``posted_date`` spans ``weeks`` Monday-based weeks ending at ``end_date``, with a
  growth trend and noise per week, and generative-AI skills becoming more common over time;
* **seniority**: titles at every level (entry … executive), English and Swedish, including the
  seed's "Lead ML Engineer", "Associate Director of AI", "VP of Data", "Chief AI Officer";
* **skills**: per-role skill mixes taken from ``schemas/taxonomy.yaml`` (canonical names or
  aliases, Swedish terms in Swedish ads), inside sentences full of decoy words that must not
  match (laws, android, fragile, internal, doctoral, maintenance, email, for, format…), sometimes
  as HTML and sometimes hard-wrapped so that phrases break across lines;
* **duplicates**: exactly ``round(count * duplicate_rate)`` rows re-post an earlier ad (same
  title, company and location, so the same ``posting_key``) on another source, on the same or a
  later date, sometimes with different case or spacing.

Rows are dicts of the raw contract (``schemas.postings.RawPosting``) in its normal form (what
``run_source`` sends), sorted by ``posted_date`` like a feed; an original always precedes its re-posts.
:class:`SyntheticSource` and :class:`TrickleSource` are the generator as producer sources
(``producers.base.Source``): ``skillpulse produce synthetic``, the demo's seed and its trickle.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from schemas.postings import SENIORITY_LEVELS
from skillpulse.domain.weeks import monday

DEFAULT_COUNT = 2000
DEFAULT_WEEKS = 16
DEFAULT_DUPLICATE_RATE = 0.1

# --------------------------------------------------------------------------------------------
# Where and who
# --------------------------------------------------------------------------------------------
SOURCES: tuple[tuple[str, float], ...] = (
    ("linkedin", 0.34), ("indeed", 0.22), ("jobtech", 0.22), ("glassdoor", 0.12), ("careers", 0.10),
)
SWEDISH_SHARE = {"linkedin": 0.12, "indeed": 0.2, "jobtech": 0.7, "glassdoor": 0.05, "careers": 0.25}

LOCATIONS: tuple[tuple[str, float], ...] = (
    ("Stockholm", 40), ("Solna", 9), ("Kista", 8), ("Sundbyberg", 5), ("Nacka", 4), ("Uppsala", 6),
    ("Södertälje", 3), ("Lidingö", 2), ("Täby", 2), ("Huddinge", 3), ("Sollentuna", 2),
    ("Danderyd", 2), ("Järfälla", 1), ("Stockholm (hybrid)", 6), ("Remote, Sweden", 3),
)

_COMPANY_PREFIXES = (
    "Norrsken", "Vasa", "Kungs", "Stella", "Fjord", "Saltsjö", "Mälar", "Björk", "Lumen", "Aurora",
    "Kvant", "Granit", "Skärgård", "Ljus", "Nova", "Vinter", "Runa", "Ekholm", "Sjöstad", "Hav",
    "Lodestar", "Northwind", "Bluefin", "Tallgrass", "Silverpine", "Brightwave", "Arctic", "Nordvik",
)
_COMPANY_SUFFIXES = (
    "Analytics", "Labs", "AI", "Robotics", "Health", "Pay", "Energy", "Mobility", "Insights",
    "Systems", "Technologies", "Logistics", "Fintech", "Games", "Bank", "Försäkring", "Media", "Bio",
    "Telecom", "Retail", "Security", "Software",
)

# --------------------------------------------------------------------------------------------
# Roles: titles per seniority level and the skill mix of the role
# --------------------------------------------------------------------------------------------
LEVELS = SENIORITY_LEVELS
LEVEL_WEIGHTS = (0.15, 0.32, 0.25, 0.13, 0.07, 0.045, 0.035)

# Skill entries: (base probability, growth over the period, alternatives). When an entry fires,
# one alternative is used. Growth adds to the probability linearly from the first week to the last.
_Entry = tuple[float, float, tuple[str, ...]]
_GENAI = (0.05, 0.45, ("generative ai", "llm", "large language models", "retrieval-augmented generation",
                      "prompt engineering", "ai agents", "vector databases"))
_LITERACY = (0.04, 0.2, ("chatgpt", "copilot", "ai tools", "prompt engineering", "ai assistants"))


@dataclass(frozen=True)
class Role:
    """A family of job ads: base titles, the area used in manager titles, and the skill mix."""

    key: str
    weight: float
    bases: tuple[str, ...]
    bases_sv: tuple[str, ...]
    areas: tuple[str, ...]
    skills: tuple[_Entry, ...]
    responsibilities: tuple[str, ...]
    responsibilities_sv: tuple[str, ...]
    growth: float = 0.0  # how much the role's share grows from the first week to the last (1.0 = doubles)


ROLES: tuple[Role, ...] = (
    Role(
        "ml_engineer", 18,
        ("Machine Learning Engineer", "ML Engineer", "AI Engineer", "Deep Learning Engineer", "Applied ML Engineer"),
        ("Maskininlärningsingenjör", "AI-utvecklare"),
        ("Machine Learning", "AI", "ML Engineering"),
        (
            (0.9, 0, ("python",)), (0.7, 0, ("pytorch", "pytorch", "tensorflow")), (0.55, 0, ("machine learning",)),
            (0.45, 0, ("deep learning",)), (0.45, 0.1, ("mlops",)), (0.4, 0, ("docker",)), (0.4, 0, ("kubernetes",)),
            (0.55, 0, ("aws", "gcp", "azure")), (0.3, 0, ("model deployment",)), (0.25, 0, ("sql",)),
            (0.2, 0, ("scikit-learn",)), (0.15, 0, ("cuda", "gpu")), (0.2, 0.1, ("transformers", "huggingface")),
            (0.15, 0, ("airflow", "kubeflow", "mlflow")), (0.15, 0, ("ci/cd", "git")),
            (0.12, 0, ("computer vision", "nlp")), (0.1, 0, ("distributed training", "model monitoring", "feature store")),
            (0.1, 0, ("spark", "data bricks")), (0.1, 0, ("sagemaker", "vertex ai", "azure machine learning")),
            (0.12, 0, ("agile", "scrum")), (0.05, 0.25, ("fine-tuning", "retrieval-augmented generation", "llmops")),
            _GENAI,
        ),
        ("You will take models from prototype to production and own how they perform over time.",
         "You will work closely with product teams to turn ideas into reliable services.",
         "You will build the tooling that lets our engineers train and ship models every week."),
        ("Du tar modeller från prototyp till produktion och ansvarar för hur de presterar över tid.",
         "Du arbetar nära produktteamen och gör idéer till stabila tjänster."),
    ),
    Role(
        "data_scientist", 20,
        ("Data Scientist", "Applied Scientist", "Research Scientist", "Decision Scientist"),
        ("Data Scientist", "Dataforskare"),
        ("Data Science", "Data", "Analytics"),
        (
            (0.9, 0, ("python",)), (0.45, 0, ("r",)), (0.75, 0, ("sql",)), (0.55, 0, ("statistics",)),
            (0.45, 0, ("machine learning",)), (0.35, 0, ("pandas", "numpy", "scikit-learn")), (0.25, 0, ("scikit-learn",)),
            (0.25, 0, ("ab testing", "experiment design", "hypothesis testing")),
            (0.3, 0, ("predictive modeling", "regression", "classification", "clustering")),
            (0.2, 0, ("time series analysis", "forecasting", "causal inference", "bayesian statistics")),
            (0.2, 0, ("data visualization", "tableau", "power bi")), (0.2, 0, ("feature engineering",)),
            (0.15, 0, ("deep learning",)), (0.15, 0, ("spark", "data bricks", "snowflake", "bigquery")),
            (0.15, 0, ("aws", "gcp", "azure")), (0.1, 0, ("nlp",)), (0.15, 0, ("stakeholder management", "data storytelling")),
            (0.1, 0, ("jupyter", "git")), _GENAI,
        ),
        ("You will turn messy data into clear answers that change what we build next.",
         "You will design experiments, measure their impact and explain the results to decision makers.",
         "You will own models that price, rank or predict, from the first notebook to the weekly review."),
        ("Du omvandlar rörig data till tydliga svar som påverkar vad vi bygger härnäst.",
         "Du utformar experiment, mäter effekten och presenterar resultaten för ledningen."),
    ),
    Role(
        "data_engineer", 14,
        ("Data Engineer", "Analytics Engineer", "Big Data Engineer", "Data Platform Engineer"),
        ("Dataingenjör", "Dataplattformsutvecklare"),
        ("Data Engineering", "Data", "Data Platform"),
        (
            (0.75, 0, ("python", "python", "scala", "java")), (0.8, 0, ("sql",)), (0.5, 0, ("spark", "data bricks")),
            (0.45, 0, ("airflow", "dagster", "dbt")), (0.45, 0, ("aws", "gcp", "azure")), (0.4, 0, ("etl", "data pipelines")),
            (0.35, 0, ("kafka", "stream processing", "apache flink")),
            (0.35, 0, ("snowflake", "bigquery", "redshift", "data warehouse")), (0.25, 0, ("docker", "kubernetes")),
            (0.2, 0, ("terraform", "ci/cd")), (0.15, 0, ("data lake", "lakehouse", "delta lake", "data mesh")),
            (0.15, 0, ("big data", "hadoop")), (0.15, 0, ("data modeling", "data quality")), (0.1, 0, ("agile",)),
            (0.1, 0, ("postgresql", "mongodb", "nosql")), (0.03, 0.15, ("vector databases", "embeddings", "mlops")),
        ),
        ("You will build the pipelines that every analyst and model in the company depends on.",
         "You will make our data trustworthy, documented and on time.",
         "You will move batch jobs to near real time without losing a single record."),
        ("Du bygger flödena som alla analytiker och modeller i bolaget är beroende av.",
         "Du ser till att vår data är pålitlig, dokumenterad och levereras i tid."),
    ),
    Role(
        "ml_platform", 8,
        ("MLOps Engineer", "ML Platform Engineer", "AI Infrastructure Engineer", "Cloud Engineer"),
        ("Plattformsingenjör", "Molningenjör"),
        ("ML Platform", "AI Infrastructure", "Platform Engineering"),
        (
            (0.8, 0, ("kubernetes",)), (0.6, 0, ("docker",)), (0.6, 0, ("mlops",)), (0.5, 0, ("aws", "gcp", "azure")),
            (0.4, 0, ("terraform", "helm charts", "infrastructure as code")),
            (0.35, 0, ("ci/cd", "github actions", "gitlab ci", "argo cd")), (0.4, 0, ("python", "golang")),
            (0.3, 0, ("kubeflow", "mlflow", "kserve", "bentoml", "triton inference server", "seldon")),
            (0.25, 0, ("prometheus", "grafana", "observability")), (0.2, 0, ("gpu", "cuda", "hpc", "slurm")),
            (0.2, 0, ("model deployment", "model monitoring", "feature store", "model registry")),
            (0.15, 0, ("linux", "bash")), (0.05, 0.25, ("llmops", "vllm")), (0.1, 0, ("kafka", "airflow")),
        ),
        ("You will run the platform our data scientists train, serve and monitor their models on.",
         "You will keep clusters healthy, costs under control and deployments boring."),
        ("Du driver plattformen där våra data scientists tränar, driftsätter och övervakar modeller.",),
    ),
    Role(
        "genai", 12,
        ("NLP Engineer", "LLM Engineer", "Generative AI Engineer", "Conversational AI Developer", "AI Solutions Engineer"),
        ("AI-ingenjör", "Utvecklare inom generativ AI"),
        ("Generative AI", "AI", "Applied AI"),
        (
            (0.85, 0, ("python",)), (0.55, 0.1, ("llm", "large language models")), (0.45, 0.1, ("generative ai",)),
            (0.4, 0.15, ("retrieval-augmented generation",)),
            (0.35, 0, ("vector databases", "pinecone", "weaviate", "qdrant", "faiss", "chromadb")),
            (0.35, 0, ("langchain", "llamaindex", "langgraph")), (0.3, 0, ("pytorch", "huggingface", "transformers")),
            (0.3, 0, ("fine-tuning", "lora", "peft", "rlhf")), (0.3, 0, ("nlp", "natural language processing")),
            (0.25, 0, ("prompt engineering",)), (0.25, 0, ("openai api", "azure machine learning", "vertex ai")),
            (0.2, 0, ("embeddings", "semantic search")), (0.1, 0.3, ("ai agents", "function calling", "model context protocol")),
            (0.2, 0, ("llm evaluation", "llm guardrails")), (0.2, 0, ("aws", "gcp", "azure")),
            (0.15, 0, ("docker", "kubernetes", "fastapi")),
            (0.1, 0, ("named entity recognition", "sentiment analysis", "conversational ai")),
        ),
        ("You will build assistants and search features on top of language models that customers use daily.",
         "You will evaluate models honestly and ship the ones that help people."),
        ("Du bygger assistenter och sökfunktioner ovanpå språkmodeller som kunderna använder varje dag.",),
        growth=1.5,
    ),
    Role(
        "computer_vision", 5,
        ("Computer Vision Engineer", "Perception Engineer", "Vision AI Engineer"),
        ("Utvecklare inom datorseende",),
        ("Computer Vision", "Perception"),
        (
            (0.85, 0, ("python",)), (0.7, 0, ("pytorch", "tensorflow")), (0.6, 0, ("computer vision",)),
            (0.5, 0, ("deep learning",)), (0.4, 0, ("opencv",)), (0.4, 0, ("object detection", "image segmentation", "ocr")),
            (0.35, 0, ("cuda", "gpu", "tensorrt", "onnx")), (0.3, 0, ("c++",)),
            (0.25, 0, ("convolutional neural networks", "transformers", "yolo")),
            (0.2, 0, ("edge ai", "robotics", "autonomous driving")), (0.2, 0, ("docker", "kubernetes", "mlops")),
            (0.1, 0, ("aws", "azure", "gcp")),
        ),
        ("You will teach machines to see: cameras in, decisions out, in real time.",),
        ("Du lär maskiner att se: kameror in, beslut ut, i realtid.",),
    ),
    Role(
        "analyst", 13,
        ("Data Analyst", "BI Analyst", "Business Intelligence Developer", "Product Analyst", "Insights Analyst"),
        ("Dataanalytiker", "BI-analytiker", "Verksamhetsanalytiker"),
        ("Analytics", "Business Intelligence", "Insights"),
        (
            (0.85, 0, ("sql",)), (0.5, 0, ("python", "r")), (0.6, 0, ("tableau", "power bi", "looker", "qlik")),
            (0.5, 0, ("data analysis",)), (0.35, 0, ("microsoft excel",)), (0.35, 0, ("statistics",)),
            (0.3, 0, ("data visualization", "data storytelling")), (0.3, 0, ("business intelligence",)),
            (0.25, 0, ("kpis", "okrs")), (0.25, 0, ("ab testing", "product analytics", "google analytics")),
            (0.2, 0, ("stakeholder management",)), (0.2, 0, ("snowflake", "bigquery", "dbt", "data warehouse")),
            (0.1, 0, ("data modeling", "data quality")), (0.1, 0, ("agile",)),
            (0.15, 0, ("forecasting", "customer segmentation", "churn prediction", "marketing analytics")), _LITERACY,
        ),
        ("You will answer the questions our leaders ask on Monday morning, and the ones they should ask.",
         "You will build dashboards people actually open and reports that lead to decisions."),
        ("Du besvarar frågorna ledningen ställer på måndagsmorgonen, och de de borde ställa.",
         "Du bygger rapporter som leder till beslut."),
    ),
    Role(
        "product", 7,
        ("AI Product Owner", "Product Owner, Machine Learning", "AI Product Designer", "Technical Product Owner, Data"),
        ("Produktägare AI", "Produktägare data"),
        ("AI Product", "Product", "Data Products"),
        (
            (0.5, 0, ("product management",)), (0.4, 0, ("ai product",)), (0.5, 0, ("roadmap",)),
            (0.5, 0, ("agile", "scrum", "kanban")), (0.35, 0, ("user stories", "backlog management")),
            (0.4, 0, ("ux/ui", "user research", "usability testing", "figma", "prototyping")),
            (0.45, 0, ("go-to-market", "product strategy", "product discovery", "product vision")),
            (0.25, 0, ("market research", "competitive analysis", "customer insights")), (0.2, 0, ("customer journey",)),
            (0.35, 0, ("stakeholder management",)), (0.25, 0, ("kpis", "okrs")), (0.25, 0, ("ab testing", "product analytics")),
            (0.2, 0, ("jira", "confluence")), (0.3, 0.1, ("machine learning", "generative ai", "llm")),
            (0.15, 0, ("roi", "business case")), (0.15, 0.2, ("prompt engineering", "chatgpt", "ai tools")),
        ),
        ("You will decide what our AI features do, for whom, and why now.",
         "You will talk to customers every week and turn what you learn into a clear plan."),
        ("Du bestämmer vad våra AI-funktioner ska göra, för vem och varför just nu.",),
    ),
    Role(
        "strategy", 5,
        ("AI Strategy Consultant", "AI Governance Advisor", "Data Governance Analyst", "AI Transformation Consultant",
         "Responsible AI Advisor"),
        ("AI-konsult", "Verksamhetsutvecklare AI"),
        ("AI Strategy", "AI Governance", "Digital Transformation"),
        (
            (0.5, 0, ("ai strategy",)), (0.5, 0, ("governance", "responsible ai", "ethics")),
            (0.5, 0.1, ("compliance", "gdpr", "eu ai act", "data privacy")),
            (0.35, 0, ("risk management", "model risk management", "information security")),
            (0.4, 0, ("stakeholder management",)),
            (0.45, 0, ("digital transformation", "ai transformation", "change management", "ai adoption")),
            (0.3, 0, ("roi", "business case", "p&l", "budgeting")),
            (0.3, 0, ("business intelligence", "data strategy", "data-driven decision making")),
            (0.35, 0, ("machine learning", "generative ai", "large language models")),
            (0.25, 0, ("management consulting", "strategic planning", "business strategy", "business development")),
            (0.2, 0, ("people management", "mentoring")), (0.1, 0, ("iso 27001", "soc 2", "nis2")), _LITERACY,
        ),
        ("You will help leadership decide where AI pays off and how to use it safely.",
         "You will write the policies that let teams move fast without breaking trust."),
        ("Du hjälper ledningen att avgöra var AI lönar sig och hur den används på ett säkert sätt.",),
    ),
    Role(  # not AI roles: their titles and texts are full of traps ("email", "maintenance", "android")
        "other", 6,
        ("Email Marketing Coordinator", "Maintenance Technician", "Android Developer", "Internal Communications Officer",
         "Legal Counsel", "Office Coordinator", "Clinical Research Nurse"),
        ("Underhållstekniker", "Jurist", "Kommunikatör"),
        ("Internal Communications", "Maintenance", "Legal"),
        (
            (0.15, 0, ("agile",)), (0.1, 0, ("jira",)), (0.2, 0, ("microsoft excel",)), (0.1, 0, ("kpis",)),
            (0.05, 0.2, ("ai tools", "chatgpt", "copilot", "prompt engineering")),
        ),
        ("You will keep things running smoothly for colleagues and customers alike.",
         "You will plan the maintenance schedule and make sure nothing fragile breaks in transit."),
        ("Du ser till att allt fungerar smidigt för både kollegor och kunder.",),
    ),
)

# Title patterns per level; {base}/{area} come from the role. Each pattern's classification by
# schemas/rules.yaml is the level it is listed under (tests check every one).
TITLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "entry": ("Junior {base}", "{base} Intern", "Graduate {base}", "Associate {base}", "Entry-Level {base}",
              "Trainee {base}", "Junior {sv}", "Praktikant, {sv}"),
    "mid": ("{base}", "{base}", "{base}", "{sv}", "Mid-Level {base}", "Staff {base}", "{area} Specialist"),
    "senior": ("Senior {base}", "Senior {base}", "Sr. {base}", "Principal {base}", "Senior Staff {base}",
               "Senior {sv}", "Expert {base}"),
    "lead": ("Lead {base}", "{base} Team Lead", "Tech Lead, {area}", "{area} Manager", "Engineering Manager, {area}",
             "Chef för {area}"),
    "director": ("Director of {area}", "Associate Director of {area}", "Head of {area}", "{area} Director"),
    "vp": ("VP of {area}", "Vice President, {area}", "SVP {area}"),
    "executive": ("Chief AI Officer", "Chief Data Officer", "Chief Technology Officer", "CTO", "Chief Analytics Officer",
                  "CDO", "CIO"),
}
_SWEDISH_ONLY = ("Chef för", "Praktikant")
_ENGLISH_PATTERNS = {level: tuple(p for p in patterns if not p.startswith(_SWEDISH_ONLY))
                     for level, patterns in TITLE_PATTERNS.items()}
# The seed's titles, used as they are now and then (role key, level, title).
SEED_TITLES = (
    ("ml_engineer", "lead", "Lead ML Engineer"), ("data_scientist", "mid", "Data Scientist"),
    ("product", "lead", "AI Product Manager"), ("ml_engineer", "entry", "Junior Machine Learning Engineer"),
    ("ml_platform", "senior", "Principal AI Architect"), ("strategy", "director", "Associate Director of AI"),
    ("data_engineer", "vp", "VP of Data"), ("strategy", "executive", "Chief AI Officer"),
    ("ml_engineer", "senior", "Senior Machine Learning Engineer"),
)

# --------------------------------------------------------------------------------------------
# How skills are written
# --------------------------------------------------------------------------------------------
# Surface forms (English ads); the first is the usual one. Unlisted skills are written as named.
SURFACES: dict[str, tuple[str, ...]] = {
    "pytorch": ("PyTorch",), "tensorflow": ("TensorFlow",), "scikit-learn": ("scikit-learn", "sklearn", "scikit learn"),
    "mlops": ("MLOps",), "gpu": ("GPUs", "GPU"), "cuda": ("CUDA",), "nlp": ("NLP",),
    "huggingface": ("Hugging Face", "HuggingFace"), "sagemaker": ("SageMaker", "AWS SageMaker"),
    "generative ai": ("Generative AI", "GenAI", "Gen AI"), "llm": ("LLMs", "LLM"),
    "retrieval-augmented generation": ("RAG", "retrieval-augmented generation"),
    "vector databases": ("vector databases", "vector DBs"), "openai api": ("the OpenAI API", "Azure OpenAI"),
    "fine-tuning": ("fine-tuning", "fine tuning"), "lora": ("LoRA",), "peft": ("PEFT",), "rlhf": ("RLHF",),
    "langchain": ("LangChain",), "llamaindex": ("LlamaIndex",), "langgraph": ("LangGraph",),
    "pinecone": ("Pinecone",), "weaviate": ("Weaviate",), "qdrant": ("Qdrant",), "faiss": ("FAISS",),
    "chromadb": ("ChromaDB",), "ai agents": ("AI agents", "agentic AI"), "model context protocol": ("MCP",),
    "llm evaluation": ("LLM evaluation", "LLM evals"), "llm guardrails": ("LLM guardrails",),
    "llmops": ("LLMOps",), "vllm": ("vLLM",), "mlflow": ("MLflow",), "kserve": ("KServe",), "bentoml": ("BentoML",),
    "triton inference server": ("Triton Inference Server",), "seldon": ("Seldon Core",),
    "kubeflow": ("Kubeflow",), "vertex ai": ("Vertex AI",), "azure machine learning": ("Azure Machine Learning",),
    "opencv": ("OpenCV",), "ocr": ("OCR",), "yolo": ("YOLO",), "tensorrt": ("TensorRT",), "onnx": ("ONNX",),
    "convolutional neural networks": ("CNNs", "convolutional neural networks"), "edge ai": ("edge AI",),
    "python": ("Python",), "r": ("R",), "sql": ("SQL",), "scala": ("Scala",), "java": ("Java",), "golang": ("Golang",),
    "c++": ("C++",), "pandas": ("pandas",), "numpy": ("NumPy",), "jupyter": ("Jupyter",),
    "ab testing": ("A/B testing", "AB testing", "A/B tests"), "tableau": ("Tableau",), "power bi": ("Power BI",),
    "looker": ("Looker",), "qlik": ("Qlik Sense",), "microsoft excel": ("Microsoft Excel", "MS Excel"),
    "google analytics": ("Google Analytics",), "kpis": ("KPIs",), "okrs": ("OKRs",),
    "aws": ("AWS", "Amazon Web Services"), "gcp": ("GCP", "Google Cloud"), "azure": ("Azure", "Microsoft Azure"),
    "kubernetes": ("Kubernetes", "K8s"), "docker": ("Docker",), "airflow": ("Airflow", "Apache Airflow"),
    "spark": ("Spark", "Apache Spark", "PySpark"), "kafka": ("Kafka", "Apache Kafka"), "data bricks": ("Databricks",),
    "snowflake": ("Snowflake",), "etl": ("ETL", "ELT"), "dbt": ("dbt",), "dagster": ("Dagster",),
    "bigquery": ("BigQuery",), "redshift": ("Redshift",), "apache flink": ("Apache Flink", "Flink"),
    "hadoop": ("Hadoop",), "terraform": ("Terraform",), "ci/cd": ("CI/CD",), "github actions": ("GitHub Actions",),
    "gitlab ci": ("GitLab CI",), "argo cd": ("Argo CD",), "helm charts": ("Helm charts",), "git": ("Git",),
    "prometheus": ("Prometheus",), "grafana": ("Grafana",), "hpc": ("HPC",), "slurm": ("Slurm",), "linux": ("Linux",),
    "bash": ("Bash",), "postgresql": ("PostgreSQL", "Postgres"), "mongodb": ("MongoDB",), "nosql": ("NoSQL",),
    "fastapi": ("FastAPI",), "ux/ui": ("UX/UI", "UI/UX", "UX design"), "figma": ("Figma",),
    "go-to-market": ("go-to-market", "go to market"), "roadmap": ("roadmap", "product roadmap"),
    "agile": ("agile", "Agile"), "scrum": ("Scrum",), "kanban": ("Kanban",), "jira": ("Jira",),
    "confluence": ("Confluence",), "ai strategy": ("AI strategy",), "ai product": ("AI products", "AI product"),
    "roi": ("ROI", "return on investment"), "gdpr": ("GDPR",), "eu ai act": ("the EU AI Act", "the AI Act"),
    "responsible ai": ("responsible AI",), "p&l": ("P&L",), "iso 27001": ("ISO 27001",), "soc 2": ("SOC 2",),
    "nis2": ("NIS2",), "ai transformation": ("AI transformation",), "ai adoption": ("AI adoption",),
    "chatgpt": ("ChatGPT",), "copilot": ("GitHub Copilot", "Copilot", "Microsoft 365 Copilot"),
    "ai tools": ("AI tools",), "ai assistants": ("AI assistants",), "prompt engineering": ("prompt engineering", "prompting"),
    "business intelligence": ("business intelligence", "BI"), "data-driven decision making": ("data-driven decision making",),
    "machine learning": ("machine learning", "ML"), "large language models": ("large language models",),
    "transformers": ("Transformers",), "deep learning": ("deep learning",), "computer vision": ("computer vision",),
}
# Swedish forms, used in Swedish ads where one exists.
SURFACES_SV: dict[str, tuple[str, ...]] = {
    "machine learning": ("maskininlärning",), "deep learning": ("djupinlärning",), "statistics": ("statistik",),
    "data analysis": ("dataanalys",), "data visualization": ("datavisualisering",), "computer vision": ("datorseende",),
    "natural language processing": ("språkteknologi",), "generative ai": ("generativ AI",),
    "large language models": ("stora språkmodeller",), "cloud computing": ("molntjänster",),
    "project management": ("projektledning",), "product management": ("produktledning",),
    "risk management": ("riskhantering",), "compliance": ("regelefterlevnad",), "change management": ("förändringsledning",),
    "digital transformation": ("digitalisering",), "agile": ("agila metoder", "agilt arbetssätt"),
    "data privacy": ("dataskydd",), "information security": ("informationssäkerhet",), "ethics": ("etik",),
    "business development": ("affärsutveckling",), "forecasting": ("prognostisering",), "kpis": ("nyckeltal",),
    "time series analysis": ("tidsserieanalys",), "data warehouse": ("datalager",), "data pipelines": ("dataflöden",),
    "stakeholder management": ("intressenthantering",), "competitive analysis": ("omvärldsanalys",),
    "regression": ("regressionsanalys",), "classification": ("klassificering",), "clustering": ("klustring",),
    "data quality": ("datakvalitet",), "people management": ("personalansvar",), "budgeting": ("budgetansvar",),
    "ai tools": ("AI-verktyg",), "ai strategy": ("AI-strategi",), "vector databases": ("vektordatabaser",),
    "data modeling": ("datamodellering",), "requirements gathering": ("kravställning",),
}

# --------------------------------------------------------------------------------------------
# Sentences (none of them may contain a taxonomy term: tests enrich each one)
# --------------------------------------------------------------------------------------------
OPENINGS = (
    "{company} is looking for {a} {title} to join our {team} team in {city}.",
    "Join {company} in {city} as {a} {title} and help us build {mission}.",
    "At {company} we build {mission}. We are now hiring {a} {title}.",
    "{company} is growing, and we are hiring {a} {title} for our {team} team.",
)
OPENINGS_SV = (
    "{company} söker nu en {title} till vårt team i {city}.",
    "Vill du arbeta som {title} hos {company} i {city}?",
    "På {company} bygger vi {mission}. Nu söker vi en {title}.",
)
TEAMS = ("Payments", "Search", "Personalisation", "Fraud Prevention", "Growth", "Logistics", "Credit Risk",
         "Marketplace", "Energy Trading", "Clinical Data", "Advertising", "Supply Chain", "Player Experience",
         "Core Platform", "Customer Care", "Mobility")
MISSIONS = ("smarter payments for millions of Nordic customers", "personalised music and podcast discovery",
            "safer and greener public transport", "better decisions in healthcare",
            "the fastest grocery delivery in Stockholm", "fair credit for small businesses",
            "energy-efficient buildings", "mobile games loved around the world", "secure networks for the Nordics")
MISSIONS_SV = ("smartare betalningar för miljontals kunder", "framtidens kollektivtrafik", "bättre beslut inom vården",
               "hållbar energi för hela Norden", "spel som älskas över hela världen")
REQUIREMENTS = (
    "Experience with {x}.", "Solid experience of {x} in production.", "Hands-on knowledge of {x}.",
    "You are comfortable working with {x}.", "Familiarity with {x} is a plus.", "Strong skills in {x}.",
    "You have used {x} in real projects.", "Nice to have: {x}.", "A good understanding of {x}.",
    "A proven track record with {x}.",
)
REQUIREMENTS_SV = (
    "Du har erfarenhet av {x}.", "Goda kunskaper i {x}.", "Du har arbetat med {x} i produktion.",
    "Meriterande: {x}.", "Du är van vid {x}.", "Erfarenhet av {x} är meriterande.",
)
REQUIREMENTS_HEADING = ("What you bring", "About you", "Requirements", "What we are looking for")
REQUIREMENTS_HEADING_SV = ("Vem är du?", "Krav", "Din profil")
# Words that sit inside or next to taxonomy terms without being them.
DECOYS = (
    "We comply with all applicable employment laws and regulations.",
    "Our Android and iOS apps are used by two million people every month.",
    "You will handle fragile hardware prototypes with care.",
    "You will present your work at internal demos and help improve our internal tools.",
    "A doctoral degree is welcome but not required.",
    "The role includes some maintenance of legacy reports.",
    "Please apply through the form; we do not accept applications by email or in other formats.",
    "This is a full-time position for someone who enjoys research and wants to grow.",
    "You excel at explaining complex ideas to people without a technical background.",
    "We react quickly to feedback and keep a swift, friendly hiring process.",
    "We are a lean team that values a safe and inclusive workplace.",
    "Our R&D department sits a short walk from the metro.",
    "We go the extra mile for our customers, and we expect to have fun doing it.",
    "The position requires a valid work permit for Sweden.",
    "Fluency in English is required; Swedish is a plus.",
    "You keep a high level of detail and maintain our standards when deadlines are tight.",
    "You will be at the helm of a small but ambitious team.",
    "Send your CV and a short cover letter; we read every one.",
)
DECOYS_SV = (
    "Vi följer gällande lagar och kollektivavtal.",
    "Du kommer att arbeta nära vårt interna utvecklingsteam.",
    "Tjänsten innebär visst underhåll av befintliga rapporter.",
    "Skicka din ansökan via formuläret, inte via e-post, gärna i PDF-format.",
    "Doktorsexamen är meriterande men inget krav.",
    "Vi har kontor för forskning och utveckling i Kista.",
    "Vi erbjuder en trygg och inkluderande arbetsplats.",
    "Appen finns för både Android och iOS.",
)
CLOSINGS = (
    "We offer a hybrid workplace, a collective agreement, wellness allowance and generous parental leave.",
    "Selection is ongoing, so do not wait to apply.",
    "Questions about the role? Contact our recruiter {contact}.",
    "Start date by agreement. Permanent position with a six-month probation period.",
)
CLOSINGS_SV = (
    "Vi erbjuder kollektivavtal, friskvårdsbidrag och flexibla arbetstider.",
    "Urval sker löpande, så skicka din ansökan redan idag.",
    "Har du frågor om tjänsten? Kontakta rekryterare {contact}.",
    "Tillsvidareanställning med sex månaders provanställning. Tillträde enligt överenskommelse.",
)


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyntheticPosting:
    """One generated row and what was put in it (the truth a test can check the enricher against)."""

    raw: dict[str, Any]
    skill_surfaces: tuple[str, ...]
    level: str
    role: str
    duplicate_of: int | None  # index (in generation order) of the original, for re-posts


def _join(items: Sequence[str], conj: str) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def _wrap(text: str, width: int) -> str:
    """Hard-wrap a paragraph at ``width`` columns (as plain-text boards do), so phrases may break."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Pools:
    """Name pools built once per run with Faker (seeded), filtered so no name holds a skill term."""

    def __init__(self, rng: random.Random, seed: int, n_companies: int):
        from faker import Faker

        from skillpulse.domain.taxonomy import default_taxonomy

        taxonomy = default_taxonomy()
        fake_en, fake_sv = Faker("en_US"), Faker("sv_SE")
        fake_en.seed_instance(seed)
        fake_sv.seed_instance(seed + 1)
        companies: dict[str, None] = {}
        attempts = 0
        while len(companies) < n_companies and attempts < n_companies * 20:
            attempts += 1
            pick = rng.random()
            if pick < 0.4:
                name = f"{rng.choice(_COMPANY_PREFIXES)} {rng.choice(_COMPANY_SUFFIXES)}"
                if rng.random() < 0.5:
                    name += " AB"
            elif pick < 0.75:
                name = fake_sv.company()
            else:
                name = fake_en.company()
            if name not in companies and not taxonomy.extract(name):
                companies[name] = None
        self.companies = list(companies)
        contacts = {n for n in (fake_sv.name() for _ in range(120)) if not taxonomy.extract(n)}
        contacts |= {n for n in (fake_en.name() for _ in range(60)) if not taxonomy.extract(n)}
        self.contacts = sorted(contacts)


def _week_weights(rng: random.Random, weeks: int, trend: float) -> list[float]:
    """Postings per week: a linear trend times log-normal noise, plus the odd holiday dip."""
    weights = []
    for i in range(weeks):
        growth = 1.0 + trend * (i / max(weeks - 1, 1))
        noise = math.exp(rng.gauss(0.0, 0.15))
        if rng.random() < 0.08:
            noise *= 0.55
        weights.append(growth * noise)
    return weights


_DAY_WEIGHTS = (1.0, 1.15, 1.1, 1.0, 0.8, 0.12, 0.08)  # Monday … Sunday
_SOURCE_NAMES = tuple(s for s, _ in SOURCES)
_SOURCE_CUM = tuple(sum(w for _, w in SOURCES[: i + 1]) for i in range(len(SOURCES)))
_LOCATION_NAMES = tuple(name for name, _ in LOCATIONS)
_LOCATION_CUM = tuple(sum(w for _, w in LOCATIONS[: i + 1]) for i in range(len(LOCATIONS)))
_LEVEL_CUM = tuple(sum(LEVEL_WEIGHTS[: i + 1]) for i in range(len(LEVELS)))
_ROLES_BY_KEY = {r.key: r for r in ROLES}


def _slug(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in name.lower().replace("å", "a").replace("ä", "a").replace("ö", "o"))
    return "-".join(p for p in out.split("-") if p)


def _url(source: str, company: str, seq: int, rng: random.Random) -> tuple[str, str]:
    """A source id unique within the run (it grows with ``seq``) and the ad's URL on that board."""
    if source == "linkedin":
        sid = str(3_700_000_000 + seq * 4_999 + rng.randrange(4_999))
        return sid, f"https://www.linkedin.com/jobs/view/{sid}"
    if source == "indeed":
        sid = f"{(seq << 28) | rng.getrandbits(28):016x}"
        return sid, f"https://se.indeed.com/viewjob?jk={sid}"
    if source == "jobtech":
        sid = str(28_000_000 + seq * 97 + rng.randrange(97))
        return sid, f"https://arbetsformedlingen.se/platsbanken/annonser/{sid}"
    if source == "glassdoor":
        sid = str(1_009_000_000 + seq * 211 + rng.randrange(211))
        return sid, f"https://www.glassdoor.se/job-listing/j?jl={sid}"
    sid = f"job-{seq:06d}"
    return sid, f"https://careers.{_slug(company)}.se/jobs/{sid}"


class _Generator:
    def __init__(self, seed: int, end_date: dt.date, weeks: int, trend: float, n_companies: int):
        self.rng = random.Random(seed)
        self.end_date = end_date
        self.weeks = weeks
        self.first_monday = monday(end_date) - dt.timedelta(weeks=weeks - 1)
        self.week_cum = list(_cumulative(_week_weights(self.rng, weeks, trend)))
        # Roles whose demand grows (generative AI) weigh more week by week.
        self.role_cum = [list(_cumulative([r.weight * (1 + r.growth * w / max(weeks - 1, 1)) for r in ROLES]))
                         for w in range(weeks)]
        self.pools = _Pools(self.rng, seed, n_companies)

    # -- one original ad ------------------------------------------------------------------
    def title(self, role: Role, level: str, swedish: bool) -> str:
        """English ads get English titles; Swedish ads get either (Stockholm ads mix them)."""
        rng = self.rng
        pattern = rng.choice(TITLE_PATTERNS[level] if swedish else _ENGLISH_PATTERNS[level])
        base = rng.choice(role.bases)
        return pattern.format(base=base, sv=rng.choice(role.bases_sv) if swedish else base, area=rng.choice(role.areas))

    def skills(self, role: Role, week_frac: float) -> list[str]:
        rng = self.rng
        chosen: list[str] = []
        for base, growth, alternatives in role.skills:
            if rng.random() < base + growth * week_frac:
                skill = alternatives[0] if len(alternatives) == 1 else rng.choice(alternatives)
                if skill not in chosen:
                    chosen.append(skill)
        if len(chosen) < 2 and role.key != "other":  # an AI/data ad always names a few skills
            for _, _, alternatives in role.skills[:3]:
                if alternatives[0] not in chosen:
                    chosen.append(alternatives[0])
        rng.shuffle(chosen)
        return chosen

    def surface(self, skill: str, swedish: bool) -> str:
        rng = self.rng
        if swedish and skill in SURFACES_SV and rng.random() < 0.8:
            forms = SURFACES_SV[skill]
        else:
            forms = SURFACES.get(skill, (skill,))
        if len(forms) == 1 or rng.random() < 0.6:
            return forms[0]
        return rng.choice(forms)

    def description(self, *, title: str, company: str, city: str, role: Role, surfaces: list[str],
                    swedish: bool, html: bool, wrap: bool) -> str:
        rng = self.rng
        city = city.split(" (")[0].split(",")[0]
        if swedish:
            opening = rng.choice(OPENINGS_SV).format(company=company, title=title, city=city, mission=rng.choice(MISSIONS_SV))
            about = rng.choice(role.responsibilities_sv)
            templates, heading, conj = REQUIREMENTS_SV, rng.choice(REQUIREMENTS_HEADING_SV), "och"
            decoys = rng.sample(DECOYS_SV, rng.randint(1, 3))
            closings = rng.sample(CLOSINGS_SV, 2)
        else:
            article = "an" if title[:1].lower() in "aeiou" else "a"
            opening = rng.choice(OPENINGS).format(company=company, a=article, title=title, city=city,
                                                  team=rng.choice(TEAMS), mission=rng.choice(MISSIONS))
            about = rng.choice(role.responsibilities)
            templates, heading, conj = REQUIREMENTS, rng.choice(REQUIREMENTS_HEADING), "and"
            decoys = rng.sample(DECOYS, rng.randint(1, 3))
            closings = rng.sample(CLOSINGS, 2)
        contact = rng.choice(self.pools.contacts)
        closings = [c.format(contact=contact) for c in closings]
        requirements: list[str] = []
        i = 0
        while i < len(surfaces):
            size = rng.randint(1, 3)
            requirements.append(rng.choice(templates).format(x=_join(surfaces[i:i + size], conj)))
            i += size
        if html:
            items = "".join(f"<li>{_escape(r)}</li>" for r in requirements)
            return (f"<p>{_escape(opening)}</p><p>{_escape(about)}</p><h3>{_escape(heading)}</h3><ul>{items}</ul>"
                    f"<p>{_escape(' '.join(decoys))}</p><p>{_escape(' '.join(closings))}</p>")
        if not heading.endswith("?"):
            heading += ":"
        paragraphs = [f"{opening} {about}", heading + "\n" + "\n".join(f"- {r}" for r in requirements),
                      " ".join(decoys), " ".join(closings)]
        if wrap:
            paragraphs = [heading + "\n" + "\n".join(_wrap(f"- {r}", 40).replace("\n", "\n  ") for r in requirements)
                          if p.startswith(heading) else _wrap(p, 72) for p in paragraphs]
        return "\n\n".join(paragraphs)

    def original(self, seq: int, used_keys: set[str]) -> SyntheticPosting:
        from skillpulse.domain.keys import posting_key

        rng = self.rng
        week = _pick(rng, self.week_cum)
        source = _SOURCE_NAMES[_pick(rng, _SOURCE_CUM)]
        swedish = rng.random() < SWEDISH_SHARE[source]
        if rng.random() < 0.04:  # now and then, the seed's own titles
            role_key, level, title = rng.choice(SEED_TITLES)
            role = _ROLES_BY_KEY[role_key]
        else:
            role = ROLES[_pick(rng, self.role_cum[week])]
            level = LEVELS[_pick(rng, _LEVEL_CUM)]
            title = self.title(role, level, swedish)
        city = _LOCATION_NAMES[_pick(rng, _LOCATION_CUM)]
        companies = self.pools.companies
        company = rng.choice(companies)
        key = posting_key(title, company, city)
        for _ in range(50):  # originals never collide: a collision would be an unplanned duplicate
            if key not in used_keys:
                break
            company = rng.choice(companies)
            city = _LOCATION_NAMES[_pick(rng, _LOCATION_CUM)]
            key = posting_key(title, company, city)
        else:
            raise ValueError("ran out of distinct title/company/location combinations; lower --count")
        used_keys.add(key)
        day = self.first_monday + dt.timedelta(weeks=week, days=rng.choices(range(7), _DAY_WEIGHTS)[0])
        if day > self.end_date:
            day = self.end_date - dt.timedelta(days=rng.randrange((self.end_date - monday(self.end_date)).days + 1))
        week_frac = week / max(self.weeks - 1, 1)
        skills = self.skills(role, week_frac)
        surfaces = [self.surface(s, swedish) for s in skills]
        html = source in ("linkedin", "glassdoor") and rng.random() < 0.35
        wrap = source == "jobtech" and rng.random() < 0.5
        description = self.description(title=title, company=company, city=city, role=role, surfaces=surfaces,
                                       swedish=swedish, html=html, wrap=wrap)
        source_id, url = _url(source, company, seq, rng)
        raw = {
            "title": title, "description": description, "posted_date": day.isoformat(), "source": source,
            "company": company, "location": city, "url": url, "source_id": source_id,
            "scraped_at": f"{day.isoformat()}T{rng.randrange(6, 23):02d}:{rng.randrange(60):02d}:00Z",
            "language": "sv" if swedish else "en",
        }
        return SyntheticPosting(raw, tuple(surfaces), level, role.key, None)

    # -- a re-post of an earlier ad on another board ---------------------------------------
    def repost(self, seq: int, index: int, original: SyntheticPosting, boards: set[str]) -> SyntheticPosting:
        rng = self.rng
        o = original.raw
        others = [s for s in _SOURCE_NAMES if s not in boards] or [s for s in _SOURCE_NAMES if s != o["source"]]
        source = rng.choice(others)
        boards.add(source)
        day = dt.date.fromisoformat(o["posted_date"]) + dt.timedelta(days=rng.choice((0, 0, 1, 2, 3, 5, 7, 10)))
        day = min(day, self.end_date)
        title, company, city = o["title"], o["company"], o["location"]
        if rng.random() < 0.3:  # boards re-case and re-space; the posting key does not care
            title = rng.choice((title.upper(), title.lower(), f" {title} ", title.replace(" ", "  ")))
        if rng.random() < 0.15:
            company = company.upper()
        if rng.random() < 0.15:
            city = f"{city.lower()} "
        source_id, url = _url(source, o["company"], seq, rng)
        raw = {
            **o, "title": title, "company": company, "location": city, "posted_date": day.isoformat(),
            "source": source, "url": url, "source_id": source_id,
            "scraped_at": f"{day.isoformat()}T{rng.randrange(6, 23):02d}:{rng.randrange(60):02d}:00Z",
        }
        return SyntheticPosting(raw, original.skill_surfaces, original.level, original.role, index)


def _cumulative(weights: Sequence[float]):
    total = 0.0
    for w in weights:
        total += w
        yield total


def _pick(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn with the weights whose running sums are ``cum`` (bisect; cheaper than choices)."""
    return min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def generate(count: int = DEFAULT_COUNT, seed: int = 0, *, end_date: dt.date | None = None,
             weeks: int = DEFAULT_WEEKS, duplicate_rate: float = DEFAULT_DUPLICATE_RATE,
             trend: float = 0.6) -> list[SyntheticPosting]:
    """``count`` postings with what went into each, sorted by date (originals before their re-posts).

    ``end_date`` (default today) is the last possible ``posted_date``; the content depends only on
    ``seed``, so the same seed on another day gives the same ads shifted in time.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if weeks < 1:
        raise ValueError("weeks must be >= 1")
    if not 0.0 <= duplicate_rate < 1.0:
        raise ValueError("duplicate_rate must be in [0, 1)")
    end_date = end_date or dt.date.today()
    n_dup = min(round(count * duplicate_rate), count - 1) if count > 1 else 0  # at least one original
    n_orig = count - n_dup
    gen = _Generator(seed, end_date, weeks, trend, n_companies=min(max(60, count // 6), 6000))
    used: set[str] = set()
    rows = [gen.original(i, used) for i in range(n_orig)]
    boards: list[set[str]] = [{r.raw["source"]} for r in rows]
    for j in range(n_dup):
        index = gen.rng.randrange(n_orig)
        rows.append(gen.repost(n_orig + j, index, rows[index], boards[index]))
    order = sorted(range(len(rows)), key=lambda i: (rows[i].raw["posted_date"], i))
    return [rows[i] for i in order]


def generate_postings(count: int = DEFAULT_COUNT, seed: int = 0, **options: Any) -> list[dict[str, Any]]:
    """The raw-contract dicts only (see :func:`generate` for the options)."""
    return [p.raw for p in generate(count, seed, **options)]


class SyntheticSource:
    """The generator as a :class:`producers.base.Source`: ``count`` postings (re-posts included).

    Options as :func:`generate`. Its ids are the postings' URLs (unique within a run); runs keep no
    ledger (``SourceState.ephemeral``), so the same seed can be sent again. After ``fetch``,
    ``rows`` holds what was generated (with the truth: levels, skills, re-posts).
    """

    def __init__(self, count: int = DEFAULT_COUNT, seed: int = 0, *, end_date: dt.date | None = None,
                 weeks: int = DEFAULT_WEEKS, duplicate_rate: float = DEFAULT_DUPLICATE_RATE, name: str = "synthetic"):
        self.name = name
        self.complete = True
        self.total = count
        self.seed = seed
        self._options = {"end_date": end_date, "weeks": weeks, "duplicate_rate": duplicate_rate}
        self.rows: list[SyntheticPosting] = []

    def fetch(self, since: dt.datetime | None = None) -> Iterator[Any]:
        """Every generated posting, in feed order (``since`` is ignored: there is no cursor)."""
        from producers.base import Fetched, fallback_key

        self.rows = generate(self.total, self.seed, **self._options)
        for row in self.rows:
            yield Fetched(fallback_key(self.name, row.raw), dict(row.raw))

    def describe(self) -> str:
        """One line on what the last ``fetch`` generated."""
        if not self.rows:
            return f"{self.name}: nothing generated"
        reposts = sum(1 for r in self.rows if r.duplicate_of is not None)
        return (f"{self.name}: {len(self.rows)} postings ({reposts} re-posts of earlier ads), posted "
                f"{self.rows[0].raw['posted_date']} … {self.rows[-1].raw['posted_date']}, seed {self.seed}")


class TrickleSource:
    """New synthetic postings dated today, one every ``60 / per_minute`` seconds, until ``wait`` says stop.

    ``wait(seconds)`` sleeps and returns True when the run should end (``threading.Event.wait``).
    Source ``synthetic-live``; no re-posts; a new seed per batch of 500, so restarts bring new ads.
    """

    name = "synthetic-live"

    def __init__(self, per_minute: float, seed: int, wait: Callable[[float], bool]):
        if per_minute <= 0:
            raise ValueError("per_minute must be > 0")
        self.complete = True
        self.interval = 60.0 / per_minute
        self.seed = seed
        self.wait = wait

    def fetch(self, since: dt.datetime | None = None) -> Iterator[Any]:
        """Postings, paced, forever (until ``wait`` returns True)."""
        from producers.base import Fetched

        made = 0
        batch_no = 0
        while True:
            batch_no += 1
            for item in generate_postings(500, seed=self.seed + made + batch_no * 7919, weeks=1, duplicate_rate=0.0):
                if self.wait(self.interval):
                    return
                item["posted_date"] = dt.date.today().isoformat()
                item["source"] = self.name
                made += 1
                yield Fetched(f"{self.name}:{self.seed}:{made}", item)
