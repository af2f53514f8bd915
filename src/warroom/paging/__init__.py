"""Paging: escalation timers, personal contact rules, response SLAs, status updates and
war-room setup, wired into the engine through `engine_hooks`."""
