from scheduling.demo.center import Command  # noqa: F401  (the demo center is built in scheduling/demo/)
