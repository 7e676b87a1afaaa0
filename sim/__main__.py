"""``python -m sim``: run a scenario (see sim/cli.py and the README)."""

from sim.cli import entry

if __name__ == "__main__":
    entry()
