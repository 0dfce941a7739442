"""`python -m api.launcher` (what `make run` calls)."""

from api.launcher.main import main

raise SystemExit(main())
