"""Every query lives in a repository module; services call these, never SQL themselves."""
