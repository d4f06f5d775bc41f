"""The worker: claims due rows, plans, executes through services, leases that expire."""
