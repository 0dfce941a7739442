"""Tests of engine/bpmn/."""
