"""The AI worker process (`python ai_worker.py`): settings, logging and the loop live in
lottery.ai.worker, the same code as `python -m lottery ai-worker`."""
import sys

from lottery.cli import main

if __name__ == "__main__":
    sys.exit(main(["ai-worker", *sys.argv[1:]]))
