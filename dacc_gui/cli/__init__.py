"""The ``dacc-gui`` command line: the same core the app uses, headless."""
