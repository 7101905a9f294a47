"""sithsd-testkit: a private sithsd on an emulated SITHS card, for other people's CI (test keys
only). The command is cli.main; the fixtures for Playwright and pytest call the command."""
