"""``skillpulse produce files``: the seed's dated folders (both date styles), messy CSV and JSONL."""
from __future__ import annotations

import json
import shutil

from producerkit import FIXTURES, read_jsonl
from schemas.postings import parse_raw_posting


def produce(cli, path, out, *extra):
    return cli("produce", "files", "--path", str(path), "--output", str(out), *extra)


def by_title(postings):
    return {p["title"]: p for p in postings}


def test_seed_folders_dated_day_first(cli, data_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    result = produce(cli, FIXTURES / "seed", out)
    assert result.exit_code == 0, result.output
    postings = by_title(read_jsonl(out))
    # first line + blank line = title; 03-01-2024 is the 3rd of January (the seed's dd-mm-yyyy)
    seed = postings["Senior Machine Learning Engineer"]
    assert seed["posted_date"] == "2024-01-03" and seed["source"] == "files"
    assert seed["description"].startswith("We are looking for a deep learning engineer")
    assert seed["source_id"] == "03-01-2024/job_1.txt"
    # no blank line after the first line: the whole text is the description, the title is the file name
    spotify = postings["data scientist spotify"]
    assert spotify["description"].startswith("About the role\nSpotify is hiring")
    assert postings["MLOps Engineer"]["posted_date"] == "2024-01-10"  # CRLF file
    assert len(postings) == 3
    assert "fetched=5 sent=3 skipped=2 failed=0" in result.stdout
    assert "empty file" in result.stderr and "no dated folder" in result.stderr  # README.txt is not an ad


def test_iso_folders_nested_files_and_a_bare_id_name(cli, data_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    assert produce(cli, FIXTURES / "iso" / "job-postings", out).exit_code == 0
    postings = read_jsonl(out)
    assert {p["posted_date"] for p in postings} == {"2024-01-17"}
    titles = {p["title"] for p in postings}
    assert "AI Engineer, Generative AI" in titles
    # 4123460002.txt has no title line and a name that is only an id: the first line stands in
    nested = next(p for p in postings if p["source_id"] == "2024-01-17/batch2/4123460002.txt")
    assert nested["title"].startswith("Lead our perception team")


def test_date_format_override(cli, data_dir, tmp_path):
    folder = tmp_path / "scrapes" / "17.01.2024"
    folder.mkdir(parents=True)
    (folder / "ml.txt").write_text("ML Engineer\n\nPython and PyTorch.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    default = produce(cli, tmp_path / "scrapes", out)
    assert "no dated folder" in default.stderr and read_jsonl(out) == []
    overridden = produce(cli, tmp_path / "scrapes", out, "--date-format", "%d.%m.%Y")
    assert [p["posted_date"] for p in read_jsonl(out)] == ["2024-01-17"], overridden.output


def test_messy_jobspy_csv(cli, data_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    result = produce(cli, FIXTURES / "jobspy_messy.csv", out)
    assert result.exit_code == 0, result.output
    postings = by_title(read_jsonl(out))
    # BOM and JobSpy columns: mapped by name, the site becomes the source, extra columns are kept
    klarna = postings["Machine Learning Engineer"]
    assert klarna["company"] == "Klarna" and klarna["location"] == "Stockholm, AB, SE"
    assert klarna["source"] == "linkedin" and klarna["source_id"] == "li-3791838212"
    assert klarna["url"] == "https://www.linkedin.com/jobs/view/3791838212"
    assert klarna["posted_date"] == "2024-01-15" and klarna["job_level"] == "mid-senior level"
    assert '* "MLOps" with MLflow, Kubernetes\n' in klarna["description"]  # quoted newlines and quotes survive
    assert postings["Data Scientist"]["min_amount"] == "45000"
    assert "company" not in postings["AI Engineer"]  # empty optional column: left out, not ""
    assert postings["Data Engineer (ML platform)"]["posted_date"] == "2024-01-12"
    assert postings["Junior Data Analyst"]["company"] == "King"  # a row with cells beyond the header
    assert len(postings) == 5
    # bad dates and a missing title: skipped, counted, and said why
    assert "fetched=8 sent=5 skipped=3 failed=0" in result.stdout
    assert "skipped 2: bad posted_date" not in result.stderr  # each bad value is its own reason, with the value
    assert "bad posted_date: 'last week'" in result.stderr and "bad posted_date: '2024-13-45'" in result.stderr
    assert "no title" in result.stderr
    for posting in postings.values():
        parse_raw_posting(posting)  # everything sent honours the raw contract


def test_minimal_csv_and_jsonl(cli, data_dir, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FIXTURES / "minimal.csv", folder)
    shutil.copy(FIXTURES / "postings.jsonl", folder)
    out = tmp_path / "out.jsonl"
    result = produce(cli, folder, out)
    assert result.exit_code == 0, result.output
    postings = by_title(read_jsonl(out))
    assert set(postings) == {"NLP Engineer", "Computer Vision Engineer", "Data Analyst", "Research Engineer, LLMs"}
    assert postings["NLP Engineer"]["posted_date"] == "2024-01-16" and postings["NLP Engineer"]["source"] == "files"
    analyst = postings["Data Analyst"]
    assert (analyst["company"], analyst["source"], analyst["posted_date"]) == ("SEB", "indeed", "2024-01-12")
    assert postings["Research Engineer, LLMs"]["salary"] == {"min": 50000, "currency": "SEK"}
    assert "fetched=7 sent=4 skipped=3" in result.stdout
    for reason in ("malformed JSON line", "not a JSON object", "bad posted_date: 'yesterday'"):
        assert reason in result.stderr


def test_a_second_run_sends_nothing_again_but_new_files_go_out(cli, data_dir, tmp_path):
    tree = tmp_path / "job-postings"
    shutil.copytree(FIXTURES / "seed" / "job-postings", tree)
    assert produce(cli, tree, tmp_path / "1.jsonl").exit_code == 0
    new = tree / "17-01-2024"
    new.mkdir()
    (new / "nlp.txt").write_text("NLP Engineer\n\nspaCy and Transformers.\n", encoding="utf-8")
    again = produce(cli, tree, tmp_path / "2.jsonl")
    assert [p["title"] for p in read_jsonl(tmp_path / "2.jsonl")] == ["NLP Engineer"]
    assert "skipped 3: already sent" in again.stderr


def test_seed_folder_feeds_the_enrichment(cli, data_dir, tmp_path):
    """The seed's sample ad, read from a dated folder, enriches to exactly the seed's skills."""
    from skillpulse.domain.enrich import default_enricher

    out = tmp_path / "out.jsonl"
    produce(cli, FIXTURES / "seed", out)
    seed = by_title(read_jsonl(out))["Senior Machine Learning Engineer"]
    enriched = default_enricher("v1").enrich(parse_raw_posting(seed))
    assert enriched.extracted_skills == ["aws", "deep learning", "mlops", "python", "pytorch", "transformers"]
    assert enriched.seniority_level.value == "senior"


def test_missing_path_is_a_usage_error(cli, data_dir, tmp_path):
    result = cli("produce", "files", "--path", str(tmp_path / "nope"), "--output", "-")
    assert result.exit_code == 2 and "--path" in result.output  # click: the path does not exist


def test_output_dash_writes_jsonl_to_stdout_and_the_summary_to_stderr(cli, data_dir):
    result = cli("produce", "files", "--path", str(FIXTURES / "seed"), "--output", "-")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and "sent=3" in result.stderr
    # a preview into a pipe keeps no ledger: the same command gives the same postings again
    again = cli("produce", "files", "--path", str(FIXTURES / "seed"), "--output", "-")
    def without_scraped_at(stdout):
        return [{k: v for k, v in json.loads(line).items() if k != "scraped_at"} for line in stdout.splitlines()]

    assert without_scraped_at(again.stdout) == without_scraped_at(result.stdout)


def test_resend_sends_again_and_file_runs_keep_their_own_ledger(cli, data_dir, tmp_path):
    from producers.base import state_name

    assert produce(cli, FIXTURES / "seed", tmp_path / "1.jsonl").exit_code == 0
    again = produce(cli, FIXTURES / "seed", tmp_path / "2.jsonl")
    assert read_jsonl(tmp_path / "2.jsonl") == [] and "--resend" in again.stderr
    resent = produce(cli, FIXTURES / "seed", tmp_path / "3.jsonl", "--resend")
    assert len(read_jsonl(tmp_path / "3.jsonl")) == 3, resent.output
    # a dry run to a file never hides ads from Kafka: each destination has its own cursor and ledger
    assert (data_dir / "cursors" / "files@jsonl.json").exists()
    assert not (data_dir / "cursors" / "files.json").exists()
    assert state_name("linkedin", None, "postings.raw") == "linkedin"
    assert state_name("linkedin", None, "raw.test") == "linkedin@raw.test"


def test_source_option_labels_txt_ads_but_a_site_column_wins(cli, data_dir, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(FIXTURES / "seed", folder / "seed")
    shutil.copy(FIXTURES / "jobspy_messy.csv", folder)
    out = tmp_path / "out.jsonl"
    assert produce(cli, folder, out, "--source", "LinkedIn").exit_code == 0
    sources = {p["title"]: p["source"] for p in read_jsonl(out)}
    assert sources["Senior Machine Learning Engineer"] == "linkedin"  # the seed scraped LinkedIn
    assert sources["Data Scientist"] == "indeed"  # JobSpy's site column
