"""``python -m fragmap`` runs the command line."""

from fragmap.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
