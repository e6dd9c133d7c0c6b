"""Start the ECG-Chat Desktop workstation: `python main.py [PATH...]`."""

import sys

from ecgchat_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
