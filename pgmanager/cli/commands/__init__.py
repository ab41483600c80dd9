"""One module per command; each defines `command`, a click.Command, and is found by cli.main."""
