"""Writers of the demo organisation's exports in real tool formats (XER, MSPDI)."""
