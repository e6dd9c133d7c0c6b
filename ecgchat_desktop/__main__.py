import sys

from ecgchat_desktop.cli import main

sys.exit(main())
