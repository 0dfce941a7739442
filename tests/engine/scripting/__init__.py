"""Tests of engine/scripting/."""
