"""The forms each process package ships in processes/<key>/forms/ (those of 党务公开 review in detail), and loading a folder of them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from forms import (
    FormDefinitionError,
    SubmissionInvalid,
    load_form_directory,
    parse_form_definition,
    validate_submission,
)

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
DEFINITIONS = PROCESSES / "disclosure_review" / "forms"
FILES = sorted(PROCESSES.glob("*/forms/*.json"))
EXPECTED_KEYS = {
    "disclosure_plan",
    "confidentiality_review",
    "disclosure_approval",
    "higher_approval",
    "publication",
    "feedback_review",
    "accuracy_review",
}

# One submission per form that a user could really send, and a field each requires.
SUBMISSIONS: dict[str, tuple[dict[str, Any], str]] = {
    "disclosure_plan": (
        {
            "title": "2024 年度党费收缴使用管理情况",
            "content": "本支部 2024 年度共收缴党费……",
            "scope": "local",
            "methods": ["bulletin_board", "meeting"],
            "publish_on": "2025-01-15",
        },
        "scope",
    ),
    "confidentiality_review": (
        {
            "secret": False,
            "necessity_ok": True,
            "accuracy_ok": True,
            "outcome": "pass",
            "opinion": "不涉密，内容准确，同意公开。",
        },
        "opinion",
    ),
    "disclosure_approval": ({"outcome": "escalate", "opinion": "涉及全委会职权，报上级党委。"}, "outcome"),
    "higher_approval": ({"outcome": "approve", "opinion": "同意。"}, "opinion"),
    "publication": (
        {"channel": "website", "published_at": "2025-01-15T10:00", "url": "https://example.org/a"},
        "published_at",
    ),
    "feedback_review": ({"has_objection": False, "outcome": "close"}, "has_objection"),
    "accuracy_review": (
        {
            "necessity_confirmed": True,
            "accuracy_confirmed": True,
            "review_outcome": "pass",
            "review_opinion": "有公开必要，数据已核对。",
        },
        "review_outcome",
    ),
}


def test_every_shipped_definition_is_loaded_by_its_key() -> None:
    loaded = {key for folder in PROCESSES.glob("*/forms") for key in load_form_directory(folder)}
    assert loaded == {path.stem for path in FILES}
    assert len(loaded) == len(FILES)  # no key in two packages
    assert EXPECTED_KEYS == set(SUBMISSIONS) == set(load_form_directory(DEFINITIONS))


def test_every_shipped_definition_is_a_form_of_its_own_process() -> None:
    """Each package's forms are the forms its BPMN names; none may lie unused or belong elsewhere."""
    unused = []
    for path in FILES:
        package = path.parents[1]
        bpmn = (package / f"{package.name}.bpmn").read_text(encoding="utf-8")
        if f'name="form_key" value="{path.stem}"' not in bpmn:
            unused.append(f"{package.name}/{path.stem}")
    assert unused == []


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_every_shipped_definition_parses_with_chinese_and_english_titles(path: Path) -> None:
    form = parse_form_definition(path.read_bytes(), path.name)
    assert form.key == path.stem and form.title_en
    for form_field in form.fields:
        assert form_field.title and form_field.title_en, form_field.name
        assert form_field.enum is None or form_field.enum_titles is not None, form_field.name


@pytest.mark.parametrize("key", sorted(SUBMISSIONS))
def test_a_real_submission_passes_and_leaving_out_a_required_field_fails(key: str) -> None:
    form = load_form_directory(DEFINITIONS)[key]
    submission, required = SUBMISSIONS[key]
    assert set(validate_submission(form, submission)) >= set(submission)
    without = {name: value for name, value in submission.items() if name != required}
    with pytest.raises(SubmissionInvalid) as raised:
        validate_submission(form, without)
    assert raised.value.errors == {required: ["必填项 (required)"]}


def test_the_plan_is_typed_and_gets_its_feedback_period_default() -> None:
    form = load_form_directory(DEFINITIONS)["disclosure_plan"]
    cleaned = validate_submission(form, SUBMISSIONS["disclosure_plan"][0])
    assert cleaned["publish_on"] == date(2025, 1, 15) and cleaned["feedback_days"] == 5
    publication = load_form_directory(DEFINITIONS)["publication"]
    at = validate_submission(publication, SUBMISSIONS["publication"][0])["published_at"]
    assert isinstance(at, datetime) and at.utcoffset() is not None


def test_the_four_scopes_of_the_regulation_are_offered() -> None:
    scope = load_form_directory(DEFINITIONS)["disclosure_plan"].field_named("scope")
    assert scope is not None and scope.enum_titles == (
        "向社会公开",
        "在全党公开",
        "在本地区、本部门、本单位公开",
        "对特定党的组织、党员和群众公开",
    )


def test_the_title_shown_to_reviewers_cannot_be_changed_by_them() -> None:
    form = load_form_directory(DEFINITIONS)["disclosure_approval"]
    with pytest.raises(SubmissionInvalid) as raised:
        validate_submission(form, {**SUBMISSIONS["disclosure_approval"][0], "title": "改过的标题"})
    assert list(raised.value.errors) == ["title"]


def _write(directory: Path, name: str, definition: Any) -> None:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    (directory / name).write_text(text, encoding="utf-8")


def test_a_folder_with_duplicate_keys_or_bad_files_is_refused_naming_each_file(
    tmp_path: Path,
) -> None:
    plan = json.loads((DEFINITIONS / "disclosure_plan.json").read_text(encoding="utf-8"))
    _write(tmp_path, "a.json", plan)
    _write(tmp_path, "b.json", plan)
    _write(tmp_path, "c.json", "{ not json")
    _write(tmp_path, "d.json", {**plan, "key": "other", "type": "array"})
    _write(tmp_path, "ignored.txt", "not a definition")
    with pytest.raises(FormDefinitionError) as raised:
        load_form_directory(tmp_path)
    paths = [problem.path for problem in raised.value.problems]
    assert paths == ["b.json:key", "c.json", "d.json:type"]
    assert "a.json" in raised.value.problems[0].message


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormDefinitionError):
        load_form_directory(tmp_path / "absent")
