"""Tests of engine/party/."""
