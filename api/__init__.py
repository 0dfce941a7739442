"""The Flask application: the REST API under /api/v1 (api.routes), the plumbing it shares with the
pages (api.http), the operator commands (api.cli), the RQ worker and the timer daemon entry, and the
`make run` launcher. api.app composes them with the pages (web) and the process packages."""
