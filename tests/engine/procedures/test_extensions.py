"""What process packages hand the engine: one immutable object, combined once, no name twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.definitions.spec_cache import SpecCache
from engine.errors import NotFound
from engine.instances.service import InstanceService
from engine.models import UserTask
from engine.procedures.extensions import NO_EXTENSIONS, ExtensionConflict, ProcessExtensions, combine
from engine.procedures.service_calls import ServiceCall
from engine.procedures.step_guards import StepContext, StepRefused
from processes import EXTENSIONS
from tests.helpers.deploying import read_fixture


def refuse_nothing(_context: StepContext) -> None:
    return None


def answer_nothing(_call: ServiceCall) -> dict[str, object]:
    return {}


def test_combining_keeps_every_name_of_every_part(tmp_path: Path):
    first = ProcessExtensions.of(step_guards={"a.check": refuse_nothing}, rule_set_folders={"a": tmp_path})
    second = ProcessExtensions.of(service_calls={"b.call": answer_nothing})

    combined = combine(first, second, NO_EXTENSIONS)

    assert dict(combined.step_guards) == {"a.check": refuse_nothing}
    assert dict(combined.service_calls) == {"b.call": answer_nothing}
    assert combined.rule_sets.names() == ["a"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: ProcessExtensions.of(step_guards={"x.check": refuse_nothing}),
        lambda: ProcessExtensions.of(service_calls={"x.check": answer_nothing}, step_guards={"x.check": refuse_nothing}),
    ],
)
def test_a_name_two_packages_define_is_refused(make):
    with pytest.raises(ExtensionConflict, match=r"x\.check"):
        combine(make(), make())


def test_the_extensions_cannot_be_changed_after_combining():
    with pytest.raises(TypeError):
        EXTENSIONS.step_guards["development.sponsors"] = refuse_nothing  # type: ignore[index]


def test_a_guard_is_found_by_its_name_or_the_name_it_had_before_the_rename():
    assert EXTENSIONS.step_guard("development.sponsors") is EXTENSIONS.step_guards["development.sponsors"]
    assert EXTENSIONS.step_guard("sponsors") is EXTENSIONS.step_guards["development.sponsors"]
    assert EXTENSIONS.step_guard("branch_vote") is EXTENSIONS.step_guards["party.branch_vote"]
    assert EXTENSIONS.step_guard("no_such_guard") is None


def test_every_guard_and_service_name_carries_its_prefix():
    names = [*EXTENSIONS.step_guards, *EXTENSIONS.service_calls]
    prefixes = {name.split(".", 1)[0] for name in names}

    assert all("." in name for name in names)
    assert prefixes == {"party", "development", "appraisal", "disposition", "disclosure"}


@pytest.mark.parametrize("version", ["../2014", "2014.json", "2099", ""])
def test_a_rule_set_version_outside_the_folder_is_not_found(version):
    with pytest.raises(NotFound):
        EXTENSIONS.rule_sets.load("member_development", version)


def test_an_unknown_rule_set_has_no_versions():
    assert EXTENSIONS.rule_sets.versions("no_such_rules") == []
    with pytest.raises(NotFound):
        EXTENSIONS.rule_sets.load("no_such_rules", "2014")


def refuse_every_title(context: StepContext) -> None:
    raise StepRefused("title", "no title is good enough")


def test_a_version_deployed_under_a_guards_former_name_keeps_its_check(session, clock, org_tree, people):
    """Instances run on the version they started on: renaming a guard must not drop its check."""
    bpmn = read_fixture("review_loop.bpmn").replace(
        b'<spiffworkflow:property name="priority" value="60"/>',
        b'<spiffworkflow:property name="priority" value="60"/>\n<spiffworkflow:property name="guards" value="strict_title"/>',
    )
    library = {"review_draft": read_fixture("review_draft.json")}
    before_rename = ProcessExtensions.of(step_guards={"strict_title": refuse_every_title})
    deploy(session, {"review_loop.bpmn": bpmn}, clock=clock, form_library=library, extensions=before_rename)
    after_rename = ProcessExtensions.of(
        step_guards={"review.strict_title": refuse_every_title}, former_guard_names={"strict_title": "review.strict_title"}
    )
    service = InstanceService(session, clock=clock, specs=SpecCache(), extensions=after_rename)
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    draft = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()

    with pytest.raises(StepRefused) as refused:
        service.complete_task(draft.id, {"title": "t"}, actor_id=people["drafter"].id)
    assert refused.value.errors == {"title": ["no title is good enough"]}
