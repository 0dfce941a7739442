"""Tests of engine/calendar/."""
