"""Bootstrap runner: phases (a DAG of steps), the asyncio runner, journal/resume, redaction, renderers, verify."""
