"""Reading BPMN and DMN: the hardened loader that turns uploaded files into SpiffWorkflow specs."""
