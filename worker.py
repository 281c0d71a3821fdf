"""The draw worker: `python worker.py` (same as `python -m lottery worker`)."""
import sys

from lottery.cli import main

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
