from plugin.cli import main

main(prog_name="amazon-triage")
