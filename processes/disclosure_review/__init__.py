"""党务公开 (disclosure review): from a draft plan to publication within a scope, and feedback."""
