"""The workflow engine: deploys BPMN, runs instances on SpiffWorkflow, keeps the inbox and audit.

Usable from any Python process with a SQLAlchemy session; it never imports Flask.
"""
