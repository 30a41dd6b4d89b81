from console.operations.cli import main

main()
