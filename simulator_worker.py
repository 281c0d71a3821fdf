"""The simulator worker process (`python simulator_worker.py`): settings, logging and the loop
live in lottery.sim.worker, the same code as `python -m lottery sim-worker`."""
import sys

from lottery.cli import main

if __name__ == "__main__":
    sys.exit(main(["sim-worker", *sys.argv[1:]]))
