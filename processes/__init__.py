"""The process packages: one folder per process with its BPMN, rules, forms, scenarios and Python."""
