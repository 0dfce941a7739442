"""Tests of engine/procedures/."""
