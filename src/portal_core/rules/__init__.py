"""Pure functions holding the domain's rules: no I/O, no database, no clock unless passed in."""
