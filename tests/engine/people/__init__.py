"""Tests of engine/people/."""
