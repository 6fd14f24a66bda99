"""The one async interface the TUI and the CLI use: `PortalClient`, local or remote."""
