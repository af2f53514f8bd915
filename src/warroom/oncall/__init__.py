"""On-call configuration and exports: YAML models for schedules and escalation policies, iCal."""
