"""One sandboxed script environment for everything SpiffWorkflow evaluates."""

from engine.scripting.sandbox import DEFAULT_TIME_LIMIT_S, SandboxedScriptEngine, check_script

__all__ = ["DEFAULT_TIME_LIMIT_S", "SandboxedScriptEngine", "check_script"]
