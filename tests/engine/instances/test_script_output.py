"""`print()` in a script, as SpiffArena's models use it, writes to the instance's log (its audit
trail, read by those who read the instance whole) instead of being refused at deploy; a script
cannot flood the log, and nothing printed reaches the task data or the process's output."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.models import AuditEvent, InstanceStatus
from engine.scripting.environment import SandboxEnvironment
from engine.scripting.script_output import MAX_LINES, collecting, printing_for
from tests.helpers.deploying import deploy_fixture


def printed_events(session, instance_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.event_type == "script.printed").order_by(AuditEvent.seq)
    )
    return [row.after for row in rows]


def test_what_a_script_prints_is_in_the_instance_log(session, service, clock, org_tree, capfd):
    deploy_fixture(session, clock, "conformance/printing_script.bpmn")

    instance = service.start("printing_script", org_tree.branch_a.id, data={"amount": 640})
    session.commit()

    assert instance.status == InstanceStatus.COMPLETED
    [tally, chatty] = printed_events(session, instance.id)
    assert tally == {"element_id": "tally", "lines": ["收到党费 640 合计 1280"]}
    assert chatty["element_id"] == "chatty" and chatty["lines"][:2] == ["第-0-行", "第-1-行"]
    assert len(chatty["lines"]) == MAX_LINES - 1  # the cap counts every line of the command
    data = json.loads(instance.state_json)["data"]
    assert "print" not in data and data["total"] == 1280
    assert "收到党费" not in capfd.readouterr().out


def test_print_in_the_calling_process_is_collected_too(capfd):
    environment = SandboxEnvironment(1.0, {})
    context = {"name": "王芳"}

    with collecting() as lines, printing_for("greet"):
        environment.execute('print("你好", name)', context)

    assert lines == [("greet", "你好 王芳")] and context == {"name": "王芳"}
    assert capfd.readouterr().out == ""
