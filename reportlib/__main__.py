"""``python -m reportlib``: the same as the ``reportlib`` command."""

from reportlib.cli import main

if __name__ == "__main__":
    main()
