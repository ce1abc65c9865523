import sys

from engine_api.agent.cli import main

sys.exit(main())
