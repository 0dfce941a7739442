"""Tests of engine/definitions/."""
