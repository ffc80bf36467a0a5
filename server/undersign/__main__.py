from undersign.cli import main

main()
