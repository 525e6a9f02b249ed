from locbench.cli import run

run()
