import sys

from kubectl_batch.cli import main

sys.exit(main())
