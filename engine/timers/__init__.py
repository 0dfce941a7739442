"""Timers: the timer table, firing, delivery (doorbell, RQ jobs, the daemon), service levels and timer start events."""
