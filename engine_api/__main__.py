import sys

from engine_api.cli import main

sys.exit(main())
