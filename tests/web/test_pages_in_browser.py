"""The pages in a real browser: a drafter and a branch secretary work through a disclosure review
(open the task from the inbox, fill in the form by clicking and typing, correct a refused answer,
the next reviewer reads the plan before answering), a process owner edits and deploys it, and a
member casts the 民主测评 ballot."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.definitions.deployment import main_model_file
from engine.models import ProcessDefinition, TaskStatus, UserTask
from tests.helpers.disclosure_samples import PLAN
from tests.helpers.paths import PROCESSES
from tests.helpers.scenario_player import ScenarioPlayer


def sign_in(page: Page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("demo")
    page.get_by_role("button", name=re.compile("登录")).click()
    expect(page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()


def test_a_plan_is_drafted_corrected_and_handed_to_the_reviewer(page: Page, live_url, session, plan_task):
    sign_in(page, live_url, "drafter")
    page.get_by_role("link", name="提出公开方案").click()
    expect(page.get_by_role("heading", name="提出公开方案")).to_be_visible()

    page.get_by_label("公开内容").fill(PLAN["content"])  # the title is left out on purpose
    page.get_by_label(re.compile("在本地区、本部门、本单位公开")).check()
    page.get_by_label("会议 (Meeting)").check()
    page.get_by_label("公开栏 (Bulletin board)").check()
    page.get_by_label("拟公开日期").fill(PLAN["publish_on"])
    page.get_by_role("button", name=re.compile("提交")).click()

    expect(page.locator("#form-message")).to_contain_text("提交的数据有误")
    expect(page.locator("#error-title")).to_be_visible()
    expect(page.get_by_label("公开内容")).to_have_value(PLAN["content"])  # nothing typed is lost
    expect(page.get_by_label("公开栏 (Bulletin board)")).to_be_checked()
    page.get_by_label("公开事项标题").fill(PLAN["title"])
    page.get_by_role("button", name=re.compile("提交")).click()

    expect(page.get_by_role("status")).to_contain_text("已办理：提出公开方案")
    session.expire_all()
    assert session.get(UserTask, plan_task.id).status == TaskStatus.COMPLETED

    page.get_by_role("button", name=re.compile("退出")).click()
    sign_in(page, live_url, "secretary")
    page.get_by_role("link", name="必要性、准确性审核").click()
    expect(page.locator("section.earlier")).to_contain_text(PLAN["content"])
    expect(page.locator("#shown-title")).to_have_text(PLAN["title"])
    review = session.scalars(select(UserTask).where(UserTask.element_id == "accuracy_review")).one()
    assert review.status == TaskStatus.OPEN


def test_a_process_owner_renames_a_task_in_the_editor_and_deploys_it(page: Page, live_url, session, plan_task):
    sign_in(page, live_url, "owner")
    page.get_by_role("link", name=re.compile("流程定义")).click()
    page.get_by_role("link", name=re.compile("编辑")).first.click()
    expect(page.locator("#editor[data-ready=true]")).to_be_attached()
    task = page.locator('.djs-element[data-element-id="plan"]')
    expect(task).to_be_visible()

    task.dblclick()  # bpmn-js opens the label for direct editing
    page.keyboard.press("Control+A")
    page.keyboard.type("拟订公开方案")
    page.locator("#canvas svg").first.click(position={"x": 5, "y": 5})
    page.get_by_role("button", name=re.compile("部署为新版本")).click()
    expect(page.locator("#deploy-result")).to_contain_text("已部署为第 2 版")
    session.expire_all()
    latest = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == "disclosure_review", ProcessDefinition.version == 2)
    ).one()
    assert "拟订公开方案".encode() in main_model_file(latest).content

    page.locator('.djs-element[data-element-id="start"]').click()
    page.keyboard.press("Delete")
    page.get_by_role("button", name=re.compile("部署为新版本")).click()
    expect(page.locator("#deploy-result")).to_contain_text("未部署")
    expect(page.locator("#deploy-problems li").first).to_be_visible()


def test_a_member_casts_the_appraisal_ballot_by_clicking(page: Page, live_url, client, demo, session_factory, clock):
    suite = json.loads((PROCESSES / "democratic_appraisal" / "scenarios.json").read_text(encoding="utf-8"))
    player = ScenarioPlayer(client, session_factory, clock, demo, suite)
    player.deploy()
    player.start(suite["scenarios"][0])
    for step in suite["paths"]["study_and_self_appraisal"]:
        player.play(step)

    sign_in(page, live_url, "member1")
    page.get_by_role("link", name=re.compile("参加民主测评")).click()
    expect(page.locator("#ballot-mine")).to_contain_text("未投票")
    page.get_by_label("党员 孙丽 基本合格").check()
    page.get_by_label("党员 郑凯 优秀").check()
    page.get_by_role("button", name=re.compile("投票")).click()
    expect(page.get_by_role("status")).to_contain_text("您的选票已投出")
    expect(page.locator("#ballot-mine")).to_contain_text("已投票")
    expect(page.get_by_role("radio")).to_have_count(0)  # one ballot each
