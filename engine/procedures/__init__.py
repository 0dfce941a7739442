"""The extension API process packages plug into: step guards, service calls and rule sets."""
