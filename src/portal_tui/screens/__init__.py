"""One module per menu (plus sign-in, register, recover and migration); each with a stylesheet of
the same name in the top-level `screens/` directory."""
