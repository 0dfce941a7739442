"""Tests of engine/timers/."""
