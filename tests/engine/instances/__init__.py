"""Tests of engine/instances/."""
