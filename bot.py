"""The Telegram bot: `python bot.py` (same as `python -m lottery bot`)."""
import sys

from lottery.cli import main

if __name__ == "__main__":
    sys.exit(main(["bot", *sys.argv[1:]]))
