"""The command line: click commands that call api functions and render models. The only place that prints."""
