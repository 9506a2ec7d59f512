import sys

from gapwatch.analyzer.cli import main

sys.exit(main())
