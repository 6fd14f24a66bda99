"""Contract tests: the same scenarios through LocalClient and RemoteClient."""
