"""``python -m dacc_gui`` behaves exactly like the ``dacc-gui`` command."""

from dacc_gui.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
